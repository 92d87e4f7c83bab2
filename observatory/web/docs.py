"""``/docs``: the OpenAPI description rendered as a plain page on the server.

FastAPI's Swagger UI would load JavaScript from a CDN, which the Content-Security-Policy (and the
rule of no external assets) forbids; this page shows the same schema (``/openapi.json``) as HTML.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)


def schema_type(schema: dict[str, Any]) -> str:
    """A short human form of a JSON schema: ``integer``, ``list of string``, ``a | b``."""
    if "anyOf" in schema:
        return " | ".join(schema_type(s) for s in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return "list of " + schema_type(schema.get("items", {}))
    return str(schema.get("type", "any"))


def operations(openapi: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for path, methods in openapi.get("paths", {}).items():
        for method, op in methods.items():
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p.get("in", ""),
                            "required": p.get("required", False),
                            "type": schema_type(p.get("schema", {})),
                            "description": p.get("description", "")
                            or p.get("schema", {}).get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "responses": [
                        (code, r.get("description", ""))
                        for code, r in op.get("responses", {}).items()
                    ],
                }
            )
    return out


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    openapi = request.app.openapi()
    schemas = openapi.get("components", {}).get("schemas", {})
    models = {
        name: [
            (field, schema_type(spec), field in schema.get("required", []))
            for field, spec in schema.get("properties", {}).items()
        ]
        for name, schema in schemas.items()
    }
    html = request.app.state.env.get_template("web/docs.html.j2").render(
        request=request, info=openapi.get("info", {}), operations=operations(openapi), models=models
    )
    return HTMLResponse(html)
