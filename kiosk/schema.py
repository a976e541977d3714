"""How the kiosk and customer credentials appear in the OpenAPI schema."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class KioskAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "kiosk.auth.KioskAuthentication"
    name = "kioskAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Kiosk <device token>`: a registered self-service terminal."}


class CustomerAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "kiosk.auth.CustomerAuthentication"
    name = "customerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Customer <token>` from POST /api/v1/auth/otp/verify/."}
