"""The long-running process: scheduler, planning, lease and logs."""
