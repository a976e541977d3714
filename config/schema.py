"""The published API description's shared parts (drf-spectacular hooks)."""

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "machine-readable, e.g. `not_found`, `rate_limited`"},
                "message": {"type": "string", "description": "for people, Chinese first"},
                "fields": {"type": "object", "additionalProperties": True,
                           "description": "per input field, what is wrong with it"},
            },
        },
    },
}


def error_responses(result, generator, request, public):
    """Every operation may answer an error (bad input, not signed in, not
    allowed, not found, a rule of the domain, too many requests, a dependency
    down) in one shape: each gets a `default` response saying so."""
    result.setdefault("components", {}).setdefault("schemas", {})["ApiError"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/ApiError"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method.startswith("x-") or not isinstance(operation, dict) or "responses" not in operation:
                continue
            operation["responses"].setdefault("default", {
                "description": "An error: `{\"error\": {\"code\", \"message\", \"fields\"?}}`",
                "content": {"application/json": {"schema": reference}},
            })
    return result
