"""What every planning endpoint checks first."""

from rest_framework.exceptions import NotAuthenticated

from config.api import Forbidden, NotFound
from halls.models import Outlet
from halls.roles import user_manages, user_reads


def signed_in(request) -> None:
    if not request.user.is_authenticated:
        # DRF's own exception, so the 401 carries WWW-Authenticate.
        raise NotAuthenticated("请先登录 / Sign in first.")


def queue_hall(code: str) -> Outlet:
    outlet = Outlet.objects.filter(code=code, is_active=True, has_queue=True).first()
    if outlet is None:
        raise NotFound("No such hall with a queue.")
    return outlet


def require_staff(user) -> None:
    """401 without a sign-in, 403 for a signed-in user who is not staff
    (staff: the admin's staff, superusers, anyone with a hall membership)."""
    if not user.is_authenticated:
        # DRF's own exception, so the 401 carries WWW-Authenticate as HTTP requires.
        raise NotAuthenticated("请先登录 / Sign in first.")
    if not (user.is_staff or user.is_superuser or user.memberships.exists()):
        raise Forbidden("仅限员工 / Staff only.")


def readable_hall(request, code: str) -> Outlet:
    """The hall `code` for a signed-in reader of it (its staff, city operations)."""
    signed_in(request)
    outlet = queue_hall(code)
    if not user_reads(request.user, outlet):
        raise Forbidden("您不能查看该营业厅 / You may not see this hall.")
    return outlet


def managed_hall(request, code: str) -> Outlet:
    """The hall `code` for a signed-in manager of it."""
    signed_in(request)
    outlet = queue_hall(code)
    if not user_manages(request.user, outlet):
        raise Forbidden("只有本厅经理可以修改排班 / Only the hall's managers change its plans.")
    return outlet
