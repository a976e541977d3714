"""Render the lobby display's Mandarin clips with espeak-ng.

    python manage.py render_voice

writes static/queueing/display/voice/*.wav (mono WAV, about 1.5 MB in all),
which the wall display plays when its browser has no Chinese speech voice.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from queueing.voice import EspeakMissing, render_all

DEFAULT_TARGET = Path(settings.BASE_DIR) / "static" / "queueing" / "display" / "voice"


class Command(BaseCommand):
    help = "Render the wall display's Mandarin voice clips (请, 号, 到, 窗口办理, digits, letters, counters 1-30)."

    def add_arguments(self, parser):
        parser.add_argument("--target", type=Path, default=DEFAULT_TARGET, help="Folder to write the clips to.")
        parser.add_argument("--speed", type=int, default=150, help="Words per minute (espeak-ng -s).")

    def handle(self, *args, target, speed, **options):
        try:
            written = render_all(target, speed=speed)
        except EspeakMissing as exc:
            raise CommandError(str(exc)) from None
        total = sum(path.stat().st_size for path in written)
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(written)} clips ({total / 1024:.0f} KB) to {target}"))
