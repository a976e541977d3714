"""ASGI entry point: `daphne config.asgi:application` serves HTTP and WebSockets."""

import gc
import os

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)


class SyncChainASGIHandler(ASGIHandler):
    """Django's ASGI handler, with the middleware and the view run together in
    one worker thread per request.

    Every view here is synchronous. Django's own handler runs the middleware
    chain in async mode, so a request crossed between the event loop and its
    worker thread four times (into the chain, back out for the async core
    handler, in again for the view, and out); here it crosses once each way.
    Reading the body, the request signals and streaming stay as Django does
    them."""

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


django_asgi_app = SyncChainASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)

# Everything loaded so far (Django, the apps, their modules) lives as long as
# the process: keep the garbage collector from walking it again in every full
# collection. And collect the young generations less often, so that fewer
# short-lived request objects are promoted just because a collection caught
# them alive: full collections, which with a thousand display sockets open
# pause a server for 0.1 to 0.2 s, then come every few minutes instead of
# every few seconds (docs/benchmarks.md, "Live floor").
gc.collect()
gc.freeze()
gc.set_threshold(2000, 50, 10)
