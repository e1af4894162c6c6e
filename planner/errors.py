"""One base class for every expected failure; the CLI maps these to messages and exit codes."""

from __future__ import annotations


class PlannerError(ValueError):
    """Base of all expected planner errors (bad data, refusals, I/O problems)."""


class ProtocolError(PlannerError):
    """The protocol data is invalid. `problems` lists every problem with its key path."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        super().__init__(f"{source}: " + "; ".join(self.problems))


class RequestError(PlannerError):
    """A request value is wrong (unknown site, grade out of range, date out of window)."""

    def __init__(self, param: str, message: str):
        self.param = param
        super().__init__(message)


class UnknownSite(RequestError):
    """The site is not in the protocol; `suggestions` holds the closest ids."""

    def __init__(self, site: str, suggestions: list[str]):
        self.site = site
        self.suggestions = list(suggestions)
        hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(
            "site", f"unknown site '{site}'.{hint} Run 'rtr sites' for the list."
        )


class AmbiguousSite(RequestError):
    """The site name could mean sites of different risk; `candidates` holds their ids."""

    def __init__(self, site: str, candidates: list[str]):
        self.site = site
        self.candidates = list(candidates)
        listed = ", ".join(candidates[:-1]) + f" or {candidates[-1]}"
        super().__init__("site", f"'{site}' could be {listed}, which are planned differently; "
                                 "say which (see 'rtr sites').")


class ReferralRequired(PlannerError):
    """The case is surgeon-led: it is not planned unless a clinician cleared it."""

    def __init__(self, site_name: str, grade: int, reason: str, always: bool = False):
        self.site_name = site_name
        self.grade = grade
        self.reason = reason
        self.always = always
        # A case the tool never plans must not suggest that a clearance would unlock it.
        after = ("This tool does not plan it, even with a clearance." if always else
                 "If a clinician has already cleared them for conservative rehab, run again "
                 "with --cleared-by \"NAME, DATE\".")
        super().__init__(
            f"{site_name}, grade {grade} needs a surgeon's assessment before any rehab plan: "
            f"{reason} Refer the runner to an orthopaedic surgeon. {after}"
        )


class TemplateProblem(PlannerError):
    """A guide template is missing or uses a variable that is not defined."""

    def __init__(self, template: str, message: str):
        self.template = template
        super().__init__(f"template {template}: {message}")


class OutputError(PlannerError):
    """The output folder cannot be used (exists without --force, not writable, is a file)."""


class ClinicError(RequestError):
    """The --clinic file cannot be used: bad TOML, a missing name, a bad logo or colour.

    A usage error (exit 2); the message names the file and the key.
    """

    def __init__(self, message: str):
        super().__init__("clinic", message)
