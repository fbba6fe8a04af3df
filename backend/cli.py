"""Operator commands: `flask --app backend.app <group> <command>`."""
import click
from flask import current_app
from flask.cli import AppGroup

from backend.extensions import db
from backend.licensing import service as licensing
from backend.licensing.models import LicenseStatus
from backend.clock import iso

licenses_cli = AppGroup("licenses", help="Create, list and revoke licenses.")
operators_cli = AppGroup("operators", help="Accounts for the operators' console.")
jobs_cli = AppGroup("jobs", help="The scheduled jobs process.")
demo_cli = AppGroup("demo", help="Demo data (demo mode only).")
sms_cli = AppGroup("sms", help="SMS wallets.")
sandbox_cli = AppGroup("sandbox", help="Local stand-ins for outside services (tests and demo only).")
sync_cli = AppGroup("sync", help="Order sync with a shop's WooCommerce.")
couriers_cli = AppGroup("couriers", help="Courier status polling.")
releases_cli = AppGroup("releases", help="Plugin releases: the signing key, uploads.")
customers_cli = AppGroup("customers", help="The customer read model (U1).")
help_cli = AppGroup("help", help="The help centre's articles (H1).")


@licenses_cli.command("create")
@click.option("--email", required=True, help="The shop owner's email.")
@click.option("--sites", default=1, show_default=True, type=click.IntRange(1, 1000), help="How many sites may use it.")
@click.option("--days", default=365, show_default=True, type=click.IntRange(0, 3650), help="Days until it expires (0: never).")
@click.option("--plan", default="standard", show_default=True, help="Plan name.")
def create_license(email, sites, days, plan):
    """Create a license; its key is printed as the last line, once."""
    license, key = licensing.create_license(email, sites=sites, days=days or None, plan=plan)
    db.session.commit()
    click.echo(f"License #{license.id} for {license.email}: plan {license.plan}, {license.sites_allowed} site(s), "
               f"expires {iso(license.expires_at) or 'never'}. The key is not stored; copy it now:")
    click.echo(key)


@licenses_cli.command("list")
def list_licenses():
    """Every license with its sites."""
    for license in licensing.list_licenses():
        click.echo(f"#{license.id} …{license.key_hint} {license.email} plan={license.plan} "
                   f"status={license.effective_status()} expires={iso(license.expires_at) or 'never'} "
                   f"sites={len(license.active_sites)}/{license.sites_allowed}")
        for site in license.sites:
            state = f"last seen {iso(site.last_seen_at)}" if site.is_active else "deactivated"
            click.echo(f"    site #{site.id} {site.url} ({state})")


@licenses_cli.command("revoke")
@click.argument("key")
def revoke_license(key):
    """Revoke a license by its key; its sites stop working at once."""
    license = licensing.find_license_by_key(key)
    if license is None:
        raise click.ClickException("No license has this key.")
    licensing.set_license_status(license, LicenseStatus.REVOKED)
    db.session.commit()
    click.echo(f"License #{license.id} ({license.email}) revoked.")


@operators_cli.command("create")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="Asked for when not given.")
def create_operator(email, password):
    """An account for the operators' console at /operator."""
    from backend.operator.service import create_operator as create

    try:
        operator = create(email, password)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Operator {operator.email} created.")


@jobs_cli.command("run")
def run_jobs():
    """Run the scheduler in this process (never inside the web workers)."""
    from backend.jobs.runner import run_scheduler

    run_scheduler(current_app._get_current_object())


@jobs_cli.command("run-once")
@click.argument("name")
def run_job_once(name):
    """Run one job now in this process, every shop in turn (what the scheduler spreads over the workers)."""
    import json

    from backend.jobs.runner import run_job
    from backend.jobs.table import JOBS_BY_NAME

    if name not in JOBS_BY_NAME:
        raise click.ClickException(f"No job {name!r}; the jobs are: {', '.join(JOBS_BY_NAME)}.")
    click.echo(json.dumps(run_job(current_app._get_current_object(), JOBS_BY_NAME[name]), default=str))


@demo_cli.command("setup")
def demo_setup():
    """Create the demo license, site and operator, and print where to look."""
    if not current_app.config["DEMO_MODE"]:
        raise click.ClickException("Demo data is only made in demo mode (BIKRI_DEMO=1).")
    from backend.demo.service import DEMO_OPERATOR, DEMO_OPERATOR_PASSWORD, set_up_demo

    state = set_up_demo()
    base = current_app.config["PUBLIC_URL"]
    click.echo(f"Demo shop (what a shop sees in wp-admin): {base}/demo-shop/wp-admin/admin.php?page=bikri")
    click.echo(f"Operators' console: {base}/operator/  ({DEMO_OPERATOR} / {DEMO_OPERATOR_PASSWORD})")
    click.echo(f"API docs: {base}/api/docs/")
    click.echo(f"Demo license key (for a real WordPress with the plugin): {state['license_key']}")


@sms_cli.command("credit")
@click.argument("site_url")
@click.argument("amount")
@click.option("--note", default=None, help="Why (shown in the shop's recharge history).")
def sms_credit(site_url, amount, note):
    """Credit a site's SMS wallet by hand (money received outside bKash)."""
    from decimal import Decimal, InvalidOperation

    from backend.licensing.models import Site
    from backend.sms import service as sms

    try:
        value = Decimal(amount)
        _url, url_key = licensing.normalise_site_url(site_url)
    except (InvalidOperation, ValueError) as error:
        raise click.ClickException(f"bad input: {error}") from error
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise click.ClickException("AMOUNT must be a positive amount in taka with at most two decimals")
    # the newest activation: a shop that changed license keys may still hold an older one
    site = db.session.execute(db.select(Site).where(Site.url_key == url_key, Site.token_hash.is_not(None))
                              .order_by(Site.activated_at.desc())).scalars().first()
    if site is None:
        raise click.ClickException(f"no active site at {site_url}")
    recharge = sms.operator_credit(site, value, operator="cli", note=note)
    db.session.commit()
    click.echo(f"Credited {recharge.amount} taka to {site.url} (recharge #{recharge.id}); balance {sms.balance_of(site.id)}.")


@sms_cli.command("gateway")
@click.argument("key")
@click.argument("settings", nargs=-1)
def sms_gateway(key, settings):
    """Choose the SMS gateway: `sms gateway ssl_wireless base_url=https://… sid=BRAND api_token=…`."""
    from backend.sms import service as sms

    values = {}
    for item in settings:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.ClickException(f"settings look like name=value, not {item!r}")
        values[name] = value
    try:
        sms.configure_gateway(key, values)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"SMS gateway set to {key}.")


@sandbox_cli.command("run")
@click.argument("name")
@click.option("--port", default=0, type=int, help="Port on 127.0.0.1 (0: any free one).")
def run_sandbox(name, port):
    """Serve one sandbox in the foreground (e.g. `sandbox run sms --port 5801`)."""
    import time

    from backend.sandbox.server import SANDBOXES, SandboxServer
    from backend.sandbox import load_all

    load_all()
    if name not in SANDBOXES:
        raise click.ClickException(f"unknown sandbox {name!r}; known: {', '.join(sorted(SANDBOXES)) or 'none'}")
    server = SandboxServer(SANDBOXES[name](), port=port)
    click.echo(f"sandbox {name} at {server.start()}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


def _sync_site(site_id):
    from backend.licensing.models import Site

    site = db.session.get(Site, site_id)
    if site is None:
        raise click.ClickException(f"No site #{site_id}.")
    return site


@sync_cli.command("backfill")
@click.argument("site_id", type=int)
@click.option("--restart", is_flag=True, help="Start over instead of resuming from the saved cursor.")
def sync_backfill(site_id, restart):
    """Run a site's backfill in the foreground (resumes a stopped one)."""
    from backend.sync import service

    from backend.tasks.coordination import shop_lock

    site = _sync_site(site_id)
    try:
        service.request_backfill(site, restart=restart)
        db.session.commit()
        # the scheduled backfill's lock: the workers leave this shop's backfill to us meanwhile
        with shop_lock(site_id, service.lock_name(service.SyncKind.BACKFILL)) as held:
            if not held:
                raise service.SyncBusy(f"site {site_id}: a worker is running its backfill")
            state = service.run_backfill(site_id, on_page=lambda s: click.echo(
                f"\r{service.progress_text(s.done, s.total)}", nl=False))
    except service.SyncBusy as error:
        raise click.ClickException(f"{error}. Wait for it, or for its lease to run out.") from error
    except Exception as error:
        from backend.errors import ApiError

        if isinstance(error, ApiError):
            raise click.ClickException(error.message) from error
        raise
    click.echo(f"\nbackfill {state.status}: {service.progress_text(state.done, state.total)}"
               + (f"; last error: {state.last_error}" if state.last_error else ""))
    if state.status == "failed":
        raise click.ClickException("The backfill stopped; fix the cause and run it again to resume.")


@sync_cli.command("reconcile")
@click.argument("site_id", type=int)
def sync_reconcile(site_id):
    """Pull what changed since the site's checkpoint, now."""
    from backend.sync import service

    from backend.tasks.coordination import shop_lock

    _sync_site(site_id)
    try:
        with shop_lock(site_id, service.lock_name(service.SyncKind.RECONCILE)) as held:
            if not held:
                raise service.SyncBusy(f"site {site_id}: a worker is reconciling it")
            seen = service.run_reconcile(site_id)
    except service.SyncBusy as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"reconciled: {seen} order(s) read")


@sync_cli.command("status")
@click.argument("site_id", type=int)
def sync_status(site_id):
    """The site's sync status, as the plugin sees it."""
    import json

    from backend.sync import service

    click.echo(json.dumps(service.status_of(_sync_site(site_id)), indent=2, ensure_ascii=False))


@couriers_cli.command("poll")
@click.option("--budget", default=None, type=float, help="Seconds to keep dispatching (default: the job's).")
def couriers_poll(budget):
    """Ask couriers about every parcel whose check is due, once, as the scheduled job does."""
    import json

    from backend.couriers.polling import poll_due_consignments

    click.echo(json.dumps(poll_due_consignments(budget_seconds=budget)))


@customers_cli.command("rebuild")
@click.option("--site-id", type=int, default=None, help="One shop (default: every shop).")
def customers_rebuild(site_id):
    """Rebuild customers from the stored orders (once after upgrading; the listeners keep them after)."""
    from backend.customers import service

    written = service.stats.rebuild_site(site_id) if site_id else service.rebuild_all()
    db.session.commit()
    click.echo(f"{written} customers")


@help_cli.command("seed")
def help_seed():
    """Write the first help articles (license, couriers, SMS, checkout protection) in Bangla and English."""
    from backend.help.seed import seed_articles

    written = seed_articles()
    db.session.commit()
    click.echo(f"{written} articles written")


@click.command("worker")
@click.option("--lane", "lanes", multiple=True, default=("otp", "transactional", "bulk"), show_default=True,
              help="A lane to work (repeat for more).")
@click.option("--threads", type=int, default=None, help="Tasks in flight at once (default: WORKER_THREADS).")
def run_worker(lanes, threads):
    """Run a worker: the tasks of the given lanes, until SIGTERM or Ctrl-C."""
    from backend.tasks.worker import run_worker as run

    run(list(lanes), threads or current_app.config["WORKER_THREADS"])


@releases_cli.command("public-key")
def releases_public_key():
    """The public key of BIKRI_RELEASE_SIGNING_KEY: build the plugin with it
    (BIKRI_RELEASE_PUBLIC_KEY=<key> make plugin)."""
    from backend.updates import service as updates

    click.echo(updates.public_key())


@releases_cli.command("upload")
@click.argument("zip_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--changelog", default="", help="What changed (plain text).")
@click.option("--rollout", default=0, type=click.IntRange(0, 100), help="Share of shops (%), 0 to start with none.")
def releases_upload(zip_path, changelog, rollout):
    """Upload and sign a plugin release, as the console's form does."""
    from backend.updates import service as updates

    with open(zip_path, "rb") as f:
        data = f.read()
    try:
        release = updates.upload_release(data, changelog, rollout_percent=rollout, uploaded_by="cli")
    except updates.ReleaseError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Version {release.version} signed; rollout {release.rollout_percent}%.")


def register_commands(app):
    app.cli.add_command(run_worker)
    for group in (licenses_cli, operators_cli, jobs_cli, demo_cli, sms_cli, sandbox_cli, sync_cli, couriers_cli,
                  releases_cli, customers_cli, help_cli):
        app.cli.add_command(group)
