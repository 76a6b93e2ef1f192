"""Travel-cost claims: from a volunteer's phone through review to a SEPA credit-transfer file.

The package holds what the chat handlers (`handlers/claims.py`, `handlers/review.py`) and the command line
(`bot/cli/claims.py`) share, so a claim moves through the same rules and the same audit log whichever way it
is touched:

- `rules`: the dated reimbursement rules per Kreis and the payout account, read from the config;
- `amounts`: parsing what people type (kilometres, euros, dates) and integer-cent arithmetic;
- `crypto`: IBANs encrypted at rest; `receipts`: checked and stored receipt files;
- `checks`: what a reviewer should look at twice; `audit`: the append-only history;
- `workflow`: every state change of a claim and the SEPA file; `export`: CSV and XLSX lists;
- `texts`: what the chat says about a claim, in the reader's language;
- `identity`: a person is more than an account (linked, configured and deleted accounts; one's own IBAN);
- `sanitize`: text for money files cleaned where it comes in; `quota`: how many receipts a person may upload;
- `escalation`: someone is responsible for every claim, and waiting claims are brought back;
- `editing`: changing an answer before submitting, correcting a rejected claim; `allowance`: yearly totals
  against the Ehrenamtspauschale.
"""
