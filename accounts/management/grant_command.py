"""What `manage.py roles` and `manage.py scopes` share: `grant HOLDER NAME... [--create]`,
`revoke HOLDER NAME...` and `list`, where a user holds roles and a role holds scopes.

Each command says what its holder and its names are; the checks (nothing is granted when
one name is refused, nothing revoked when one is not held) and the output are here once.
"""

from abc import ABC, abstractmethod

from django.core.management.base import BaseCommand, CommandError


class GrantCommand(BaseCommand, ABC):
    # The positional arguments' names, as `--help` shows them: ("username", "roles").
    holder_argument: str
    names_argument: str
    kind: str  # "role", "scope": what a name is, in messages
    granted_model: type  # Group, Scope: the model whose rows the names are
    grant_help = revoke_help = create_help = list_help = ""
    list_takes_holder = False
    # Printed after a grant / a revoke: what happens to tokens already issued.
    grant_note: str | None = None
    revoke_note: str | None = None

    # Messages; `{holder}` is holder_label(holder), `{names}` the names joined by ", ".
    refused_message: str  # names missing, --create not given
    not_held_message: str
    granted_message: str
    revoked_message: str

    # --- what each command defines ------------------------------------------------------

    @abstractmethod
    def holder_get(self, name: str):
        """The holder, or CommandError."""

    @abstractmethod
    def holder_label(self, holder) -> str:
        """The holder as messages name it."""

    @abstractmethod
    def holder_line(self, holder) -> str:
        """What the holder holds after a change."""

    @abstractmethod
    def granted_of(self, holder):
        """The holder's related manager of granted rows (`user.groups`, `role.scopes`)."""

    def names_refused(self, missing: list[str]) -> list[str]:
        """Of the missing names, those only --create may create."""
        return missing

    @abstractmethod
    def name_ensure(self, name: str):
        """The row named `name`, created if missing."""

    @abstractmethod
    def list_lines(self, holder_name: str | None) -> list[str]:
        """What `list` prints."""

    # --- the shared part ------------------------------------------------------------------

    def add_arguments(self, parser):
        metavar = self.kind.upper()
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        grant = actions.add_parser("grant", help=self.grant_help)
        grant.add_argument(self.holder_argument)
        grant.add_argument(self.names_argument, nargs="+", metavar=metavar)
        grant.add_argument("--create", action="store_true", help=self.create_help)
        revoke = actions.add_parser("revoke", help=self.revoke_help)
        revoke.add_argument(self.holder_argument)
        revoke.add_argument(self.names_argument, nargs="+", metavar=metavar)
        listing = actions.add_parser("list", help=self.list_help)
        if self.list_takes_holder:
            listing.add_argument(self.holder_argument, nargs="?")

    def handle(self, *args, action, **options):
        holder_name = options.get(self.holder_argument)
        if action == "list":
            for line in self.list_lines(holder_name):
                self.stdout.write(line)
            return
        holder = self.holder_get(holder_name)
        names = options[self.names_argument]
        if action == "grant":
            self._grant(holder, names, create=options["create"])
        else:
            self._revoke(holder, names)

    def _grant(self, holder, names: list[str], *, create: bool) -> None:
        existing = set(
            self.granted_model.objects.filter(name__in=names).values_list("name", flat=True)
        )
        refused = self.names_refused([name for name in names if name not in existing])
        if refused and not create:
            raise CommandError(self._message(self.refused_message, holder, refused))
        granted = []
        for name in names:
            granted.append(self.name_ensure(name))
            if name not in existing:
                self.stdout.write(f"Created {self.kind} {name}")
        self.granted_of(holder).add(*granted)
        self._report(self._message(self.granted_message, holder, names), holder, self.grant_note)

    def _revoke(self, holder, names: list[str]) -> None:
        held = set(self.granted_of(holder).filter(name__in=names).values_list("name", flat=True))
        not_held = [name for name in names if name not in held]
        if not_held:
            raise CommandError(self._message(self.not_held_message, holder, not_held))
        self.granted_of(holder).remove(*self.granted_model.objects.filter(name__in=names))
        self._report(self._message(self.revoked_message, holder, names), holder, self.revoke_note)

    def _message(self, template: str, holder, names: list[str]) -> str:
        return template.format(holder=self.holder_label(holder), names=", ".join(names))

    def _report(self, message: str, holder, note: str | None) -> None:
        self.stdout.write(message)
        self.stdout.write(self.holder_line(holder))
        if note:
            self.stdout.write(note)
