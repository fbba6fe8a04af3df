"""Markdown to HTML for help articles, safe to put in a shop's page.

markdown-it-py with raw HTML off: a `<script>`, `<iframe>` or `<a onclick>` in the body is
shown as text, never as a tag. Links and images keep only the schemes named here (no
`javascript:`, `data:`, `vbscript:`), whatever their case or the characters (entities, %-escapes, tabs) hidden in them."""
import re
from html import unescape
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markupsafe import Markup

SAFE_SCHEMES = ("http", "https", "mailto", "tel")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
# what browsers drop from a URL before reading its scheme (so "java\tscript:" is javascript:)
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]+")


def _safe_link(url: str) -> bool:
    found = _SCHEME.match(_IGNORED_IN_URLS.sub("", unquote(unescape(url))).lower())
    return found is None or found.group(1) in SAFE_SCHEMES


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable(["table", "strikethrough"])
    parser.validateLink = _safe_link
    default_link = parser.renderer.rules.get("link_open")

    def link_open(tokens, index, options, env):
        # the page is an iframe in wp-admin: a link elsewhere opens beside it, not inside it
        href = tokens[index].attrGet("href") or ""
        if href.startswith(("http://", "https://")):
            tokens[index].attrSet("target", "_blank")
            tokens[index].attrSet("rel", "noopener noreferrer")
        if default_link:
            return default_link(tokens, index, options, env)
        return parser.renderer.renderToken(tokens, index, options, env)

    parser.renderer.rules["link_open"] = link_open
    return parser


_PARSER = _parser()
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


def render(body: str) -> Markup:
    """The article's HTML (escaped text, a fixed set of tags)."""
    return Markup(_PARSER.render(body or ""))


def plain_text(body: str) -> str:
    """The words of the article without Markdown's marks: what the search indexes."""
    return _SPACES.sub(" ", unescape(_TAG.sub(" ", _PARSER.render(body or "")))).strip()
