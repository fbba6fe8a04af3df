"""The chat box's settings travel with the plugin's checkout config pull (the plugin prints the
box from its copy, without asking us on a page view); checkout never imports livechat.
`connect` is called once by `backend.app.create_app`; tests/test_signals.py checks it was."""
from backend.checkout.signals import plugin_config_asked
from backend.livechat import service


def on_plugin_config_asked(site) -> dict:
    return {"live_chat": service.plugin_config(site)}


def connect() -> None:
    plugin_config_asked.connect(on_plugin_config_asked, weak=False)
