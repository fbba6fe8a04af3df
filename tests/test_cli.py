from backend.extensions import db
from backend.operator.models import Operator


def test_license_create_prints_the_key_last_and_it_activates(runner, client):
    result = runner.invoke(args=["licenses", "create", "--email", "Owner@Shop.test", "--sites", "3", "--days", "10", "--plan", "pro"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("BIKRI-")
    activated = client.post("/api/v1/sites/activate", json={"license_key": key, "site_url": "https://a.example.com"})
    assert activated.status_code == 201 and activated.json["license"]["plan"] == "pro"

    listing = runner.invoke(args=["licenses", "list"])
    assert "owner@shop.test" in listing.output and "sites=1/3" in listing.output and "https://a.example.com" in listing.output
    assert key not in listing.output

    revoked = runner.invoke(args=["licenses", "revoke", key])
    assert revoked.exit_code == 0
    token = activated.json["token"]
    assert client.get("/api/v1/license", headers={"Authorization": f"Bearer {token}"}).status_code == 403


def test_revoke_unknown_key_fails_clearly(runner):
    result = runner.invoke(args=["licenses", "revoke", "BIKRI-NOPE"])
    assert result.exit_code != 0 and "No license has this key" in result.output


def test_operator_create_takes_or_asks_for_a_password(app, runner):
    assert runner.invoke(args=["operators", "create", "ops@bikri.test", "--password", "long-enough-pass"]).exit_code == 0
    asked = runner.invoke(args=["operators", "create", "ops2@bikri.test"], input="another-long-pass\nanother-long-pass\n")
    assert asked.exit_code == 0, asked.output
    short = runner.invoke(args=["operators", "create", "ops3@bikri.test", "--password", "short"])
    assert short.exit_code != 0 and "at least" in short.output
    with app.app_context():
        assert db.session.query(Operator).count() == 2
