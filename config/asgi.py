"""ASGI entry point: `daphne config.asgi:application` serves HTTP and WebSockets."""

import gc
import os
from concurrent.futures import ThreadPoolExecutor

import django
from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402

from config.checks import refuse_unsafe_start  # noqa: E402
from config.logs import mask_daphne_access_log  # noqa: E402

# A production server with published secrets does not start (config/checks.py).
refuse_unsafe_start()
# A kiosk's first address carries its device token: not in the access log.
mask_daphne_access_log()


class SyncChainASGIHandler(ASGIHandler):
    """Django's ASGI handler, with all of a request's synchronous work done in
    one crossing into a worker thread, taken from a fixed pool of
    `HTTP_THREADS` threads that serve one request after another.

    Every view here is synchronous. Django's own handler starts a new thread
    for each request and crosses between it and the event loop six times (the
    request_started signal, into the middleware chain, back out for the async
    core handler, in again for the view, out, and closing the response); here
    the request_started signal, the middleware, the view and, for a response
    that is not streamed, its closing (request_finished, which hands the
    database connection back) run in one call, and the event loop only reads
    the body and writes the answer. As in a threaded WSGI server, a worker
    thread keeps its database connection between requests when CONN_MAX_AGE
    allows, and the pool bounds how many requests a process works on at once
    (the others wait their turn, not the database).

    A sync view cannot be interrupted when its client goes away, so Django's
    disconnect watch is left out: the answer to a departed client is dropped
    by the server."""

    def __init__(self):
        super().__init__()
        self.executor = ThreadPoolExecutor(max_workers=settings.HTTP_THREADS, thread_name_prefix="http")
        self.respond_in_worker = sync_to_async(self.respond, thread_sensitive=False, executor=self.executor)

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await self.respond_in_worker(scope, body_file)
            try:
                await self.send_response(response, send)
            finally:
                if response.streaming:
                    await sync_to_async(response.close)()
        finally:
            body_file.close()

    def respond(self, scope, body_file):
        """The request's answer, in a worker thread; closed unless streamed."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if not response.streaming:
            response.close()
        return response


django_asgi_app = SyncChainASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.logs import SocketRequestId  # noqa: E402
from config.routing import public_sockets, websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SocketRequestId(public_sockets(URLRouter(websocket_urlpatterns))),
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
