"""`helferbot claims export|mark-paid|cancel-batch|batches`: travel-cost claims for the accounts office.

The command line runs the same workflow as the chat (`bot.claims.workflow`), so an export here marks claims,
writes the audit log and tells the volunteers exactly as `/auszahlung` does; the running bot delivers those
messages from the outbox.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.claims.amounts import money
from bot.config import ConfigError
from bot.storage.models_claims import CLAIM_STATES


def register(subparsers) -> None:
    parser = subparsers.add_parser("claims", help="export travel-cost claims and record payouts")
    parser.add_argument("--config", "-c", dest="config_sub")
    sub = parser.add_subparsers(dest="claims_command", required=True)
    p_export = sub.add_parser(
        "export", help="write claims as CSV/XLSX, or the approved unpaid ones as a SEPA file (marks them exported)"
    )
    p_export.add_argument("--status", default="payout", choices=("payout", "all", *CLAIM_STATES),
                          help="which claims to list in CSV/XLSX (default: payout = approved, or in a payment "
                               "file not yet paid); SEPA takes approved only")
    p_export.add_argument("--format", choices=("csv", "xlsx", "sepa"), default="csv")
    p_export.add_argument("--output", "-o", type=Path, required=True, help="file to write")
    p_export.add_argument("--full-iban", action="store_true", help="CSV/XLSX: full IBANs instead of the last digits")
    p_export.add_argument("--config", "-c", dest="config_sub")
    for name, help_text in (
        ("mark-paid", "record that the bank executed a SEPA file: its claims are paid"),
        ("cancel-batch", "a SEPA file the bank did NOT execute: its claims go back to approved"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--batch", type=int, required=True, help="the payment file's number (see `claims batches`)")
        p.add_argument("--config", "-c", dest="config_sub")
    p_back = sub.add_parser("send-back", help="an approved claim that cannot be paid as it is goes back to review")
    p_back.add_argument("--claim", type=int, required=True)
    p_back.add_argument("--reason", required=True, help="why; written to the audit log and shown to reviewers")
    p_back.add_argument("--config", "-c", dest="config_sub")
    p_batches = sub.add_parser("batches", help="list SEPA files waiting for confirmation")
    p_batches.add_argument("--config", "-c", dest="config_sub")
    parser.set_defaults(handler=run)


def run(cfg, args) -> int:
    return asyncio.run(_run(cfg, args))


async def _run(cfg, args) -> int:
    from bot.data_location import require_data_dir
    from bot.wiring import build_app

    if require_data_dir(cfg, needs_key=True) is None:
        return 2
    try:
        app = build_app(cfg)
    except ConfigError as exc:
        print("Configuration problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    try:
        await app.db.migrate()
        command = {"export": _export, "mark-paid": _mark_paid, "cancel-batch": _cancel_batch,
                   "batches": _batches, "send-back": _send_back}[args.claims_command]
        return await command(app, args)
    finally:
        await app.db.dispose()


async def _export(app, args) -> int:
    from bot.claims import export, workflow
    from bot.claims.crypto import CannotDecrypt

    if args.format == "sepa" and args.status not in ("approved", "payout"):
        print("a SEPA file always contains the approved claims that are in no file yet; leave out --status",
              file=sys.stderr)
        return 2
    output: Path = args.output
    partial = output.with_name(output.name + ".partial")
    async with app.db.session() as session:
        if args.format == "sepa":
            try:
                sepa = await workflow.export_sepa(session, app, None)
            except workflow.ExportRefused as refused:
                print("nothing was exported: " + "; ".join(refused.problems), file=sys.stderr)
                return 1
            data, summary = sepa.data, (
                f"batch #{sepa.batch.id}: {sepa.batch.count} claim(s), {money(sepa.batch.total_cents)}, "
                f"sha256 {sepa.batch.checksum}; after the bank executed it: helferbot claims mark-paid "
                f"--batch {sepa.batch.id}"
            )
            for claim_id, code in sepa.skipped:
                print(f"left out claim #{claim_id}: {workflow.SKIP_REASONS.get(code, code)}; it stays approved "
                      f"until: helferbot claims send-back --claim {claim_id} --reason ...", file=sys.stderr)
        else:
            claims = await export.select_claims(session, args.status)
            try:
                table = export.rows(claims, app.services.vault if args.full_iban else None,
                                    await export.approvers(session, claims))
            except CannotDecrypt:
                print("some IBANs cannot be decrypted with the configured key (bot.secret_key or the key file in "
                      "the data directory was changed); export without --full-iban", file=sys.stderr)
                return 1
            data = export.to_csv(table) if args.format == "csv" else export.to_xlsx(table)
            summary = f"{len(claims)} claim(s)"
        # Write first, commit second, rename last: a failed commit leaves no file that looks exported.
        partial.write_bytes(data)
        if args.full_iban:
            os.chmod(partial, 0o600)
        try:
            await session.commit()
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    partial.replace(output)
    print(f"wrote {output}: {summary}")
    return 0


async def _mark_paid(app, args) -> int:
    return await _close(app, args.batch, "paid")


async def _cancel_batch(app, args) -> int:
    return await _close(app, args.batch, "cancelled")


async def _close(app, batch_id: int, status: str) -> int:
    from bot.claims import workflow

    step = workflow.mark_paid if status == "paid" else workflow.cancel_batch
    async with app.db.session() as session:
        try:
            batch = await step(session, app, batch_id, None)
        except workflow.Refused as refused:
            print({"no_batch": f"there is no payment file #{batch_id}",
                   "batch_paid": f"payment file #{batch_id} was already marked as paid; nothing was changed",
                   "batch_cancelled": f"payment file #{batch_id} was cancelled; nothing was changed",
                   }.get(refused.code, refused.code), file=sys.stderr)
            return 1
        await session.commit()
    print(f"payment file #{batch.id} is {status}: {batch.count} claim(s), {money(batch.total_cents)}")
    return 0


async def _send_back(app, args) -> int:
    from bot.claims import workflow
    from bot.storage.models_claims import Claim

    async with app.db.session() as session:
        claim = await session.get(Claim, args.claim)
        if claim is None:
            print(f"there is no claim #{args.claim}", file=sys.stderr)
            return 1
        try:
            await workflow.send_back(session, app, claim, None, args.reason)
        except workflow.Refused:
            print(f"claim #{args.claim} is not approved and outside any payment file; nothing was changed",
                  file=sys.stderr)
            return 1
        await session.commit()
    print(f"claim #{args.claim} is back in review")
    return 0


async def _batches(app, args) -> int:
    from bot.claims import workflow

    async with app.db.session() as session:
        batches = await workflow.open_batches(session)
    if not batches:
        print("no payment files are waiting for confirmation")
    for b in batches:
        print(f"#{b.id}  {b.created_at:%Y-%m-%d %H:%M}  {b.count} claim(s)  {money(b.total_cents)}  "
              f"sha256 {b.checksum}")
    return 0
