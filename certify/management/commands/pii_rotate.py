"""python manage.py pii_rotate — bring every stored personal-data value under the current keys.

First make the new key active (``SKILLCERT_PII_ACTIVE_KID``, or ``--new-local-key`` for the
embedded key file) and, for a new lookup key, keep the old one as
``SKILLCERT_PII_HMAC_KEY_PREVIOUS`` (``--new-local-hmac-key``). Then run this while the app runs;
it can be stopped and run again at any time. When it reports nothing left, remove the previous
HMAC key (``--forget-previous-hmac`` for the key file).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from certify.services.pii_rotation import RotationReport, pii_rotate
from lib import pii


class Command(BaseCommand):
    help = "Re-encrypt personal data under the active key and rebuild the lookup hashes, in batches."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--after-person", type=int, default=0, help="skip people up to this id")
        parser.add_argument("--after-certificate", type=int, default=0, help="skip certificates up to this id")
        parser.add_argument("--dry-run", action="store_true", help="count what would change, write nothing")
        parser.add_argument("--new-local-key", action="store_true", help="embedded key file: add an active key first")
        parser.add_argument(
            "--new-local-hmac-key", action="store_true", help="embedded key file: also replace the lookup key first"
        )
        parser.add_argument(
            "--forget-previous-hmac",
            action="store_true",
            help="embedded key file: drop the previous lookup key after a complete run",
        )

    def handle(self, *args, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        if options["new_local_key"] or options["new_local_hmac_key"]:
            kid = pii.rotate_local_key(hmac_key=options["new_local_hmac_key"])
            self.stdout.write(f"new active key {kid}")
        started = time.monotonic()

        def progress(report: RotationReport) -> None:
            self.stdout.write(
                f"people {report.people_seen} seen, {report.people_changed} changed (last id {report.last_person}); "
                f"certificates {report.certificates_seen} seen, {report.certificates_changed} changed "
                f"(last id {report.last_certificate}); {time.monotonic() - started:.1f} s"
            )

        report = pii_rotate(
            batch_size=options["batch_size"],
            after_person=options["after_person"],
            after_certificate=options["after_certificate"],
            dry_run=options["dry_run"],
            progress=progress,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"done: {report.people_changed} people and {report.certificates_changed} certificates brought under "
                f"key {pii.active_kid()}{' (dry run)' if options['dry_run'] else ''}"
            )
        )
        if options["forget_previous_hmac"] and not options["dry_run"]:
            pii.forget_previous_local_hmac_key()
            self.stdout.write("previous lookup key removed from the key file")
        elif pii.previous_hmac_key_configured() and not options["dry_run"]:
            self.stdout.write("every lookup hash is current: the previous HMAC key can now be removed")
