"""What a header row that cannot be loaded would map where, and how a person accepts it.

When a file is rejected for its header (a required column missing, or headers the template
and the tenant's profile do not know), the reader raises `HeaderRejected`: the usual
problems (`headers.report.header_rejection`) plus a `proposal`, which says for each unknown
header the template column it looks like (`headers.suggest`), if any. Nothing is mapped by
it: the upload's problems gain the exact command that would accept the suggestions
(`accept_problems`), the brand page shows them as a form with the suggestion preselected
(`api.py`), and only a mapping a person sends is stored in the profile.

The proposal, as stored in `header_proposals` and served by `GET /profile/proposals/{id}`:
`{"headers": [{"header", "letter", "column", "reason"}], "missing": [column, ...]}`, where
`column` is the suggested template column (null when none looks like it).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from typing import Any

from briskk_pipeline import template
from briskk_pipeline.headers.report import header_rejection, letter, unknown_headers
from briskk_pipeline.headers.suggest import suggest
from briskk_pipeline.validation.report import FileRejected, Problem, file_problem

Proposal = dict[str, Any]


class HeaderRejected(FileRejected):
    """A file rejected for its header row, with what its unknown headers would map to."""

    def __init__(self, problems: Iterable[Problem], proposal: Proposal) -> None:
        super().__init__(problems)
        self.proposal = proposal


def proposal(cells: list[object], match: template.HeaderMatch, *, offset: int = 0) -> Proposal:
    """For header row `cells` (as written) and its `match`: each unknown header with the
    template column (not in the header yet) it looks like, and the required columns missing."""
    unknown = unknown_headers(cells, match)
    free = [c for c in template.COLUMN_NAMES if c not in match.positions]
    found = {s.header: s for s in suggest([h for _, h in unknown], free)}
    return {
        "headers": [
            {
                "header": header,
                "letter": letter(position, offset),
                "column": found[header].column if header in found else None,
                "reason": found[header].reason if header in found else None,
            }
            for position, header in unknown
        ],
        "missing": list(match.missing_required),
    }


def rejection(
    cells: list[object], match: template.HeaderMatch, *, offset: int = 0
) -> FileRejected | None:
    """The rejection of a header row that cannot be loaded (None when it can): a
    `HeaderRejected` with its `proposal` when some header is unknown, else a plain
    `FileRejected` (a duplicated column, or a missing one with nothing to map)."""
    problems = header_rejection(cells, match, offset=offset)
    if not problems:
        return None
    found = proposal(cells, match, offset=offset)
    if found["headers"]:
        return HeaderRejected(problems, found)
    return FileRejected(problems)


def accept_command(tenant: str, found: Proposal, upload_id: str | None = None) -> str | None:
    """`briskk profile map TENANT "Selling Price"=offer_price ... [--rerun UPLOAD_ID]` for the
    suggested mappings of `found`, or None when nothing is suggested."""
    pairs = [f"{h['header']}={h['column']}" for h in found["headers"] if h["column"]]
    if not pairs:
        return None
    rerun = ["--rerun", upload_id] if upload_id else []
    return shlex.join(["briskk", "profile", "map", tenant, *pairs, *rerun])


def loaded_proposal(header_rules: list[dict[str, Any]]) -> Proposal | None:
    """For a file that loaded (`RawSheet.header_rules`): its unread headers that look like a
    template column the file lacks (a renamed optional column, e.g. `Selling Price`), or
    None when none does. Its columns stayed unread: the brand may want them mapped."""
    unknown = [r for r in header_rules if r["rule"] == "unknown"]
    read = {r["column"] for r in header_rules if r["column"]}
    free = [c for c in template.COLUMN_NAMES if c not in read]
    found = {s.header: s for s in suggest([r["header"] for r in unknown], free)}
    if not found:
        return None
    return {
        "headers": [
            {
                "header": r["header"],
                "letter": r["letter"],
                "column": found[r["header"]].column if r["header"] in found else None,
                "reason": found[r["header"]].reason if r["header"] in found else None,
            }
            for r in unknown
        ],
        "missing": [],
    }


def accept_warning(tenant: str, found: Proposal, upload_id: str) -> str:
    """The warning of a loaded file with unread headers that look like template columns."""
    suggested = [h for h in found["headers"] if h["column"]]
    shown = "; ".join(f"'{h['header']}' (column {h['letter']}) -> {h['column']}" for h in suggested)
    return (
        f"columns not read that look like template columns: {shown}. To read them in this and "
        f"every later file: {accept_command(tenant, found, upload_id)} (or the mapping form "
        "on the brand page)"
    )


def accept_problems(tenant: str, found: Proposal, upload_id: str | None = None) -> list[Problem]:
    """The file problems that say what would map where, then how to accept it: the command
    alone in the second (re-running `upload_id` when given), so no message limit cuts it."""
    suggested = [h for h in found["headers"] if h["column"]]
    command = accept_command(tenant, found, upload_id)
    if command is None:
        return [
            file_problem(
                "none of the unknown headers looks like a template column; if one is, map it "
                f"once for every later file: briskk profile map {shlex.quote(tenant)} "
                "'YOUR HEADER=template_column' (or the mapping form on the brand page)"
            )
        ]
    shown = "; ".join(f"'{h['header']}' (column {h['letter']}) -> {h['column']}" for h in suggested)
    return [
        file_problem(
            f"suggested mapping of your headers: {shown}. Nothing is mapped until you accept it"
        ),
        file_problem(
            "to accept the suggested mapping, remember it for every later file and check this "
            f"file again, run: {command} (or use the mapping form on the brand page)"
        ),
    ]
