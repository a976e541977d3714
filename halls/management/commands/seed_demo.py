"""`manage.py seed_demo [--small]`: build the demo city. See `halls.demo`."""

import time

from django.core.management.base import BaseCommand, CommandError

from halls.demo import DemoRefused, seed_demo


class Command(BaseCommand):
    help = (
        "Build the demo Zhengzhou network (owned halls with services and counters, franchise and agent "
        "stores, authorized points) and the demo sign-ins. Idempotent: safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--small", action="store_true", help="Only a few outlets of each kind (for tests); same sign-ins."
        )

    def handle(self, *args, small: bool, **options):
        started = time.monotonic()
        try:
            summary = seed_demo(small=small)
        except DemoRefused as refused:
            raise CommandError(str(refused)) from None
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo city ({'small' if small else 'full'}) ready in {elapsed:.1f} s: "
                f"{summary.created} rows created, {summary.updated} updated."
            )
        )
        for label, line in summary.lines.items():
            self.stdout.write(f"  {label}: {line}")
