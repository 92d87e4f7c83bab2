"""Digests: compose per subscriber (pure), MIME bytes, the outbox, SMTP delivery."""
