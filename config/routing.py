"""WebSocket routes, and who may open them.

The display and ticket sockets are public (a lobby display, a customer's
ticket): a client that sends no `Origin` header (a display box, an LED
controller, an integration) is accepted; a browser page of another site (an
`Origin` not among ALLOWED_HOSTS) is refused, so it cannot read a hall's live
floor through a visitor's browser. The manager's floor socket is for signed-in
staff only: the site's session, and an `Origin` of this site required.
"""

from channels.auth import AuthMiddlewareStack
from channels.generic.websocket import WebsocketConsumer
from channels.security.websocket import AllowedHostsOriginValidator, OriginValidator
from django.conf import settings
from django.urls import re_path

from queueing.consumers import HallDisplayConsumer, TicketConsumer
from queueing.planning.consumers import HallFloorConsumer

# A path part is anything but a slash or a NUL character (which PostgreSQL
# text cannot hold: a lookup by it would fail instead of finding nothing); a
# socket asked for with such a path matches no route and is refused.
_PART = r"[^/\x00]+"


class RefusedSocket(WebsocketConsumer):
    """Any other socket path: refused at the handshake (403), not an error."""

    def connect(self):
        self.close()


websocket_urlpatterns = [
    re_path(rf"^ws/halls/(?P<code>{_PART})/display/$", HallDisplayConsumer.as_asgi()),
    re_path(rf"^ws/tickets/(?P<token>{_PART})/$", TicketConsumer.as_asgi()),
    re_path(rf"^ws/halls/(?P<code>{_PART})/floor/$",
            AllowedHostsOriginValidator(AuthMiddlewareStack(HallFloorConsumer.as_asgi()))),
    re_path(r"", RefusedSocket.as_asgi()),
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
