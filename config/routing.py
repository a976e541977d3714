"""WebSocket routes, and who may open them.

The display and ticket sockets are public (a lobby display, a customer's
ticket): a client that sends no `Origin` header (a display box, an LED
controller, an integration) is accepted; a browser page of another site (an
`Origin` not among ALLOWED_HOSTS) is refused, so it cannot read a hall's live
floor through a visitor's browser. The manager's floor socket is for signed-in
staff only: the site's session, and an `Origin` of this site required.
"""

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator, OriginValidator
from django.conf import settings
from django.urls import path

from queueing.consumers import HallDisplayConsumer, TicketConsumer
from queueing.planning.consumers import HallFloorConsumer

websocket_urlpatterns = [
    path("ws/halls/<str:code>/display/", HallDisplayConsumer.as_asgi()),
    path("ws/tickets/<str:token>/", TicketConsumer.as_asgi()),
    path("ws/halls/<str:code>/floor/", AllowedHostsOriginValidator(AuthMiddlewareStack(HallFloorConsumer.as_asgi()))),
]


class PublicSocketOriginValidator(OriginValidator):
    """Channels' origin check, except that no Origin at all is allowed."""

    def valid_origin(self, parsed_origin):
        return parsed_origin is None or super().valid_origin(parsed_origin)


def public_sockets(application):
    """`application` behind PublicSocketOriginValidator with this site's host names."""
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]
    return PublicSocketOriginValidator(application, allowed_hosts)
