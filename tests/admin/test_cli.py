"""``bhc user add``: prompts for the password, or reads it from stdin for scripts."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from bhc.cli import main
from bhc.models import AuditLog, User
from tests.admin.conftest import PASSWORD, sign_in


def run(database_url, *args, input=None):
    return CliRunner().invoke(main, ["user", "add", *args], input=input,
                              env={"BHC_DATABASE_URL": database_url, "BHC_CONFIG": ""})


def test_user_add_prompts_for_the_password_and_the_user_can_sign_in(
        database_url, app, exchange, neighbourhoods):
    result = run(database_url, "Coco@example.nl", "--name", "Coco", "--role", "coordinator",
                 "--neighbourhood", "Segbroek", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "added coordinator coco@example.nl" in result.output
    assert PASSWORD not in result.output
    assert sign_in(app.test_client(), "coco@example.nl").status_code == 302
    with exchange.db.session() as session:
        user = session.scalar(select(User))
        assert [n.name for n in user.neighbourhoods] == ["Segbroek"]
        assert session.scalar(select(AuditLog.action)) == "create"


def test_user_add_reads_the_password_from_stdin_and_the_user_signs_in_with_it(
        database_url, app, exchange):
    result = run(database_url, "ada@example.nl", "--name", "Ada", "--role", "admin",
                 "--password-stdin", input=f"{PASSWORD}\r\nnot this line\n")
    assert result.exit_code == 0, result.output
    assert "added admin ada@example.nl" in result.output
    assert PASSWORD not in result.output
    client = app.test_client()
    for other in (f"{PASSWORD}\r\n", f"{PASSWORD}\n", PASSWORD[:-1], "not this line"):
        refused = sign_in(client, "ada@example.nl", other)
        assert refused.status_code == 200, other
        assert "E-mailadres of wachtwoord klopt niet." in refused.text
    signed_in = sign_in(client, "ada@example.nl")
    assert signed_in.status_code == 302 and signed_in.location.endswith("/admin/")


def test_bad_input_ends_with_a_one_line_reason(database_url, exchange, neighbourhoods):
    cases = [
        (["x@example.nl", "--name", "X", "--role", "coordinator", "--neighbourhood", "Atlantis"],
         "neighbourhood 'Atlantis' does not exist"),
        (["x@example.nl", "--name", "X", "--role", "coordinator"],
         "a coordinator needs at least one neighbourhood"),
        (["not-an-email", "--name", "X", "--role", "admin"], "is not an email address"),
        (["x@example.nl", "--name", "X", "--role", "boss"], "Invalid value for '--role'"),
    ]
    for args, reason in cases:
        result = run(database_url, *args, "--password-stdin", input=f"{PASSWORD}\n")
        assert result.exit_code != 0
        assert reason in result.output
    short = run(database_url, "x@example.nl", "--name", "X", "--role", "admin",
                "--password-stdin", input="short\n")
    assert "at least 10 characters" in short.output
    run(database_url, "x@example.nl", "--name", "X", "--role", "admin", "--password-stdin",
        input=f"{PASSWORD}\n")
    again = run(database_url, "X@example.nl", "--name", "X", "--role", "admin",
                "--password-stdin", input=f"{PASSWORD}\n")
    assert again.exit_code == 1
    assert "already exists" in again.output
