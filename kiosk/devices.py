"""The hall's kiosks as the manager's floor sees them (halls.devices): a
kiosk on its home screen asks for the hall's queue every 15 s, which marks it
seen (kiosk.auth, at most once a minute); one not heard from for longer than
KIOSK_QUIET_AFTER has gone quiet."""

from datetime import timedelta

from halls.devices import DeviceSeen, device_source

from .models import KioskDevice

KIOSK_QUIET_AFTER = timedelta(minutes=3)


@device_source
def kiosks_seen(outlet_ids, now) -> list[DeviceSeen]:
    limit = now - KIOSK_QUIET_AFTER
    return [
        DeviceSeen(outlet_id=k.outlet_id, key=f"kiosk:{k.pk}", kind="kiosk", name=k.name,
                   last_seen_at=k.last_seen_at, quiet=k.last_seen_at is None or k.last_seen_at < limit)
        for k in KioskDevice.objects.filter(outlet_id__in=outlet_ids, is_active=True)
    ]
