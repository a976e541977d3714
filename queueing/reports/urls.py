from . import api

urlpatterns: list = [
    *api.urlpatterns,
]
