"""Content in the shapes real tools produce: PDF, Word, saved CMS pages, Markdown with
front matter, sitemaps, and inventories with usage columns (tests/fixtures/content)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from gaplens.cli import cli
from gaplens.store import Store
from ingest import import_assets
from ingest.assets import ASSET_FORMATS, _front_matter, preview_assets
from ingest.documents import url_key, url_title, url_type
from ingest.html import html_to_text, read_html

CONTENT = Path(__file__).parent / "fixtures" / "content"
BROKEN = CONTENT / "broken"


@pytest.fixture
def ws(tmp_path):
    store = Store(tmp_path / "w.db")
    yield store
    store.close()


def by_id(store: Store) -> dict[str, dict]:
    return {a["asset_id"]: a for a in store.assets()}


def passages_of(store: Store, asset_id: str) -> list[str]:
    return [p["text"] for p in store.passages() if p["asset_id"] == asset_id]


def one(store: Store, paths, **kw) -> dict:
    (summary,) = import_assets(store, paths, **kw)
    assert summary.error is None, summary.error
    assert summary.added == 1
    (asset,) = store.assets()
    return asset


# -- PDF --------------------------------------------------------------------------------


def test_pdf_whitepaper(ws):
    asset = one(ws, [CONTENT / "security-whitepaper.pdf"])
    assert asset["asset_id"] == "a-security-whitepaper.pdf"
    assert asset["title"] == "Orbitly Security Whitepaper 2026"  # the document's /Title
    assert asset["updated"] == "2026-02-09"
    body = asset["body"]
    assert "encrypted at rest with AES-256" in body  # page 1
    assert "## 3. Access control and identity" in body  # page 2, a heading by its size
    assert "tabletop exercise that includes the support and legal teams." in body  # page 3
    for running in ("Orbitly | Security Whitepaper", "Confidential: prepared", "Page 1 of 3"):
        assert running not in body
    assert "Page" not in body.replace("penetration", "")
    passages = passages_of(ws, asset["asset_id"])
    assert any(
        p.startswith("Orbitly Security Whitepaper 2026 — 2. Assurance and audits\n\n")
        for p in passages
    )
    assert all("Confidential" not in p for p in passages)


def test_pdf_title_from_first_heading_when_no_metadata(ws):
    asset = one(ws, [CONTENT / "sla-brief.pdf"])
    assert asset["title"] == "Uptime and SLA brief"
    assert "## Service credits" in asset["body"]  # from page 2
    assert "Orbitly Enterprise" not in asset["body"]  # header on both pages
    assert "orbitly.example/legal/sla" not in asset["body"]  # footer on both pages


def test_broken_files_name_the_file_and_the_good_ones_land(ws):
    sums = import_assets(ws, [BROKEN, CONTENT / "sla-brief.pdf", CONTENT / "posts"])
    errors = {Path(s.file).name: s.error for s in sums if s.error}
    assert set(errors) == {
        "truncated-whitepaper.pdf",
        "scanned-contract.pdf",
        "protected-whitepaper.pdf",
        "pricing-sheet.pdf",
        "proposal-template.docx",
    }
    for name, error in errors.items():
        assert error.startswith(str(BROKEN / name) + ": ")
    assert "incomplete" in errors["truncated-whitepaper.pdf"]
    assert "no text layer" in errors["scanned-contract.pdf"]
    assert "OCR" in errors["scanned-contract.pdf"]
    assert "password-protected" in errors["protected-whitepaper.pdf"]
    assert "not a PDF document: the content is an HTML page" in errors["pricing-sheet.pdf"]
    assert "not a Word document (.docx): the content is text" in errors["proposal-template.docx"]
    assert set(by_id(ws)) == {"a-sla-brief.pdf", "a-hipaa-baa-faq.md"}


# -- Word -------------------------------------------------------------------------------


def test_docx_case_study(ws):
    asset = one(ws, [CONTENT / "case-study-harbor-pine.docx"])
    assert asset["title"] == "Harbor & Pine Outfitters answers 38% more tickets with Orbitly"
    assert asset["updated"] == "2026-03-02"  # core properties: modified
    body = asset["body"]
    assert body.startswith("# Harbor & Pine Outfitters\n\nAn outdoor retailer with 40 agents")
    assert "## The challenge" in body and "### Migration in six weeks" in body
    assert "- The Shopify integration, which shows order status" in body
    assert "| Metric | Before | After |\n|---|---|---|\n| First response time |" in body
    assert body.index("## Why they chose") < body.index("| Metric") < body.index("spring rush")
    assert "Draft for review" not in body and "Page 1" not in body  # page header/footer
    text = " ".join(passages_of(ws, asset["asset_id"]))
    assert "Metric: CSAT; Before: 84%; After: 93%." in text


def test_docx_title_from_first_heading(ws, tmp_path):
    from docx import Document

    doc = Document()
    doc.add_paragraph("Internal draft", style="Subtitle")
    doc.add_heading("Voice channel FAQ", level=1)
    doc.add_paragraph("Orbitly does not offer a phone channel yet; calls can be logged.")
    doc.save(tmp_path / "voice.docx")
    asset = one(ws, [tmp_path / "voice.docx"])
    assert asset["title"] == "Voice channel FAQ"
    assert asset["updated"] is None  # python-docx's own template dates are not the doc's
    assert "## Voice channel FAQ\n\nOrbitly does not offer a phone channel" in asset["body"]


# -- HTML -------------------------------------------------------------------------------

CHROME = (
    "Skip to content",
    "Orbit Assist now answers in 31 languages",  # announcement bar
    "Book a demo",  # header button and in-article CTA
    "Live chat",  # mega-menu and footer
    "Watch the demo",
    "Home › Blog",  # breadcrumbs
    "Priya Okonkwo",  # byline and author box
    "Contents",  # table of contents
    "See provisioning in action",  # CTA box
    "Share on LinkedIn",
    "Tagged",
    "Related posts",
    "SAML SSO rollout checklist",  # a related post's card
    "Comments are closed",
    "Search the blog",
    "Popular",  # sidebar
    "newsletter",
    "Subscribe",
    "All rights reserved",
    "Trust center",
    "cookies",
    "Accept all",
    "gtag",  # scripts
    "position:sticky",  # styles
    "BlogPosting",  # JSON-LD
)


def test_html_blog_post_main_text_without_chrome(ws):
    asset = one(ws, [CONTENT / "blog"])
    assert asset["asset_id"] == "a-scim-provisioning-guide.html"
    assert asset["title"] == "How to automate user provisioning with SCIM"  # not "| Orbitly Blog"
    assert asset["url"] == "https://www.orbitly.example/blog/scim-provisioning-guide/"  # canonical
    assert asset["updated"] == "2026-03-14"  # article:modified_time
    body = asset["body"]
    assert "SCIM 2.0 lets your identity provider create, update and deactivate" in body
    assert "## Set it up in Microsoft Entra ID" in body
    assert "- Deactivate, never delete, so ticket history stays intact." in body
    assert "| Plan | SCIM provisioning |\n|---|---|\n| Growth | Not included |" in body
    assert body.rstrip().endswith("works alongside SAML single sign-on.")
    for junk in CHROME:
        assert junk not in body, junk


def test_html_page_without_main_or_article(ws):
    asset = one(ws, [CONTENT / "pages" / "reliability.html"])
    assert asset["title"] == "Reliability you can plan around"
    assert asset["url"] == "https://orbitly.example/product/reliability"
    body = asset["body"]
    assert body.startswith("# Reliability you can plan around\n\nYour customers expect")
    assert "99.95% monthly uptime SLA and automatic service credits" in body
    assert "- A written post-mortem within five business days." in body  # <li> never closed
    for junk in (
        "Pricing",
        "Sign in",
        "Shared inbox",
        "Book a call",
        "Keep reading",
        "Trusted by",
        "Resources",
        "500 Harbor Street",
        "stores cookies",
        "_hsq",
    ):
        assert junk not in body, junk


def test_html_parsing_rules():
    page = read_html(
        "<title>Audit logs - Orbitly</title><body>"
        "<header><a href=/>Orbitly</a><ul><li><a href=/a>A</a><li><a href=/b>B</a></ul></header>"
        "<h1>Audit logs</h1><p>First<p>Second <b>bold<div>Block</div>"
        "<ul class='link-list'><li><a href=/x>One</a><li><a href=/y>Two</a>"
        "<li><a href=/z>Three</a></ul>"
        "<div hidden>secret</div><span style='display: none'>gone</span>"
        "<div class='post-header'><h1>Kept heading</h1></div>"
        "<div id='cookieBanner'>We use cookies</div>"
        "<ol><li>Step one<li>Step two</ol></body>"
    )
    assert page.title == "Audit logs"
    assert page.body == (
        "# Audit logs\n\nFirst\n\nSecond bold\n\nBlock\n\n# Kept heading\n\n"
        "- Step one\n\n- Step two"
    )


def test_html_deep_nesting_does_not_fail():
    html = "<div>" * 5000 + "<p>Deep text.</p>" + "</div>" * 5000
    assert html_to_text(html)[1] == "Deep text."


# -- Markdown front matter ----------------------------------------------------------------


def test_markdown_post_with_front_matter(ws):
    asset = one(ws, [CONTENT / "posts" / "hipaa-baa-faq.md"])
    assert asset["title"] == "HIPAA and Orbitly: your BAA questions, answered"
    assert (asset["type"], asset["stage"]) == ("faq", "BOFU")
    assert asset["url"] == "https://orbitly.example/blog/hipaa-baa-faq/"
    assert asset["updated"] == "2026-03-14"  # last_modified_at wins over the publish date
    body = asset["body"]
    assert body.startswith("# HIPAA and Orbitly\n\nHealthcare teams")
    assert "---\n\n## Can patients send PHI through the chat widget?" in body  # a rule
    assert "Jordan Reyes" not in body and "slug:" not in body


@pytest.mark.parametrize(
    "front, expected",
    [
        ('title: "Escaped \\"quotes\\" here"\n', {"title": 'Escaped "quotes" here'}),
        ("title: 'It''s here'   \n", {"title": "It's here"}),
        ("title: Plain # a comment\n", {"title": "Plain"}),
        ("updated: 2026-03-14\ndate: 2020-01-01\n", {"updated": "2026-03-14"}),
        ("date: March 14, 2026\n", {"updated": "March 14, 2026"}),
        ("type: [guide, 'faq']\n", {"type": "guide, faq"}),
        ("content_type:\n  - guide\n  - battlecard\n", {"type": "guide, battlecard"}),
        ("summary: >\n  Folded over\n  two lines.\n", {"summary": "Folded over two lines."}),
        ("seo:\n  title: Nested, not ours\ntitle: Ours\n", {"title": "Ours"}),
        ("permalink: /blog/x/\nfunnel_stage: MOFU\n", {"url": "/blog/x/", "stage": "MOFU"}),
    ],
)
def test_front_matter_forms(front, expected):
    meta, body = _front_matter(f"---\n{front}---\n# Body\n")
    assert meta == expected
    assert body == "# Body\n"


def test_rule_lines_are_not_front_matter():
    text = "---\nJust a line between rules.\n---\nMore text.\n"
    assert _front_matter(text) == ({}, text)


# -- sitemaps -------------------------------------------------------------------------------


def test_sitemap_pages_become_assets(ws):
    (s,) = import_assets(ws, [CONTENT / "sitemap.xml"])
    assert (s.format, s.added, s.present, s.error) == ("sitemap", 15, 0, None)  # 16, one twice
    assets = by_id(ws)
    scim = assets["url:orbitly.example/blog/scim-provisioning-guide"]
    assert (scim["title"], scim["type"], scim["updated"], scim["body"]) == (
        "Scim provisioning guide",
        "blog post",
        "2026-03-14",
        "",
    )
    assert scim["url"] == "https://orbitly.example/blog/scim-provisioning-guide"
    home = assets["url:orbitly.example"]
    assert (home["title"], home["type"]) == ("Home page (orbitly.example)", None)
    webinar = assets["url:orbitly.example/resources/webinars/ai-answers-you-can-trust"]
    assert (webinar["title"], webinar["type"]) == ("Ai answers you can trust", "webinar")
    assert assets["url:orbitly.example/customers/harbor-and-pine"]["type"] == "case study"
    assert assets["url:orbitly.example/about/careers"]["type"] is None
    assert passages_of(ws, scim["asset_id"]) == ["Scim provisioning guide"]
    again = import_assets(ws, [CONTENT / "sitemap.xml"])
    assert (again[0].added, again[0].present) == (0, 15)


def test_sitemap_urls_already_held_are_not_added_twice(ws):
    import_assets(
        ws,
        [CONTENT / "content-inventory.csv", CONTENT / "blog", CONTENT / "pages", CONTENT / "posts"],
    )
    before = set(by_id(ws))
    (s,) = import_assets(ws, [CONTENT / "sitemap.xml"])
    # held: 3 inventory URLs, the blog post and page (canonical URL, www. and / differ),
    # the Markdown post's url, and the whitepaper row
    assert (s.added, s.present) == (8, 7)
    keys = [url_key(a["url"]) for a in ws.assets() if a["url"]]
    assert len(keys) == len(set(keys))
    assert set(by_id(ws)) - before == {
        "url:orbitly.example",
        "url:orbitly.example/pricing",
        "url:orbitly.example/product/shared-inbox",
        "url:orbitly.example/compare/orbitly-vs-zentrix",
        "url:orbitly.example/resources/webinars/ai-answers-you-can-trust",
        "url:orbitly.example/docs/guides/saml-sso-setup",
        "url:orbitly.example/integrations/shopify",
        "url:orbitly.example/about/careers",
    }


def test_a_page_imported_after_the_sitemap_replaces_its_entry(ws):
    import_assets(ws, [CONTENT / "sitemap.xml"])
    assert "url:orbitly.example/blog/scim-provisioning-guide" in by_id(ws)
    import_assets(ws, [CONTENT / "blog" / "scim-provisioning-guide.html"])
    assets = by_id(ws)
    assert "url:orbitly.example/blog/scim-provisioning-guide" not in assets
    assert "a-scim-provisioning-guide.html" in assets
    assert len(assets) == 15
    assert not [p for p in ws.passages() if p["asset_id"].endswith("scim-provisioning-guide")]


def test_sitemap_index_lists_its_sitemaps_and_fetches_nothing(ws):
    (s,) = import_assets(ws, [CONTENT / "sitemap_index.xml"])
    assert s.error.startswith(f"{CONTENT / 'sitemap_index.xml'}: a sitemap index")
    assert "lists 3 sitemaps" in s.error and "fetches nothing" in s.error
    assert "https://orbitly.example/post-sitemap.xml" in s.error
    assert ws.assets() == []


def test_sitemap_with_entities_is_refused(ws, tmp_path):
    bomb = tmp_path / "sitemap.xml"
    bomb.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>https://x.example/&b;</loc></url></urlset>"
    )
    (s,) = import_assets(ws, [bomb])
    assert "refused for safety" in s.error and str(bomb) in s.error
    assert ws.assets() == []


def test_xml_that_is_not_a_sitemap(ws, tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text('<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>')
    (s,) = import_assets(ws, [feed])
    assert s.error == f"{feed}: not a sitemap: the content is an XML document (<rss>); " + (
        "a sitemap is XML with a <urlset> (or <sitemapindex>) root element"
    )


@pytest.mark.parametrize(
    "url, title, kind",
    [
        ("https://o.example/blog/scim-provisioning-guide", "Scim provisioning guide", "blog post"),
        ("https://o.example/docs/guides/api_limits.html", "Api limits", "guide"),
        ("https://o.example/pricing/", "Pricing", "pricing page"),
        ("https://o.example/blog/caf%C3%A9-support", "Café support", "blog post"),
        ("https://o.example/about", "About", None),
    ],
)
def test_titles_and_types_from_urls(url, title, kind):
    assert (url_title(url), url_type(url)) == (title, kind)


# -- inventories with usage ---------------------------------------------------------------


def test_inventory_usage_columns(ws):
    (s,) = import_assets(ws, [CONTENT / "content-inventory.csv"])
    assert (s.added, s.rejected) == (4, 1)
    assert s.rejects[0].line == 6
    assert s.rejects[0].reason == "unreadable number 'lots' in column 'Pageviews'"
    assets = by_id(ws)
    usage = {a: (r["views"], r["views_column"]) for a, r in assets.items()}
    assert usage == {
        "CT-1041": (1870, "Sessions"),  # pageviews "—": the next best column with a number
        "CT-1042": (12480, "Pageviews"),  # "12,480"
        "CT-1043": (1200, "Pageviews"),  # "1.2k"
        "CT-1044": (None, None),  # n/a everywhere
    }
    story = assets["CT-1042"]
    assert (story["type"], story["stage"], story["updated"]) == ("Case study", "MOFU", "2026-03-02")
    assert story["body"].startswith("# Harbor & Pine Outfitters")  # from the .docx it names
    assert "SOC 2 Type II" in assets["CT-1041"]["body"]  # from the PDF it names
    assert assets["CT-1043"]["updated"] == "2025-12-09"


def test_inventory_names_its_files_so_they_are_not_imported_alone(ws):
    sums = import_assets(ws, [CONTENT])
    names = {Path(s.file).name for s in sums}
    assert "security-whitepaper.pdf" not in names and "case-study-harbor-pine.docx" not in names
    assets = by_id(ws)
    assert "a-security-whitepaper.pdf" not in assets and "CT-1041" in assets
    assert "a-sla-brief.pdf" in assets and "a-blog/scim-provisioning-guide.html" in assets
    index = next(s for s in sums if s.file.endswith("sitemap_index.xml"))
    assert (index.format, index.error, index.rejected) == ("sitemap index", None, 1)


def test_usage_column_priority_and_updates(ws, tmp_path):
    csv = tmp_path / "export.csv"
    csv.write_text(
        "Title,Downloads,Sessions,Avg. Views per Session,Views (last 90 days),Last Modified\n"
        'ROI study,310,"2,004",3.1,"8,950",2026-02-01\n'
        "Battlecard,42,,,,2026-01-10\n"
    )
    import_assets(ws, [csv])
    assets = by_id(ws)
    assert (assets["a-roi-study"]["views"], assets["a-roi-study"]["views_column"]) == (
        8950,
        "Views (last 90 days)",
    )
    assert (assets["a-battlecard"]["views"], assets["a-battlecard"]["views_column"]) == (
        42,
        "Downloads",
    )
    passage_ids = [p["id"] for p in ws.passages()]
    csv.write_text(
        "Title,Downloads,Sessions,Avg. Views per Session,Views (last 90 days),Last Modified\n"
        'ROI study,310,"2,004",3.1,"9,400",2026-03-01\n'
        "Battlecard,42,,,,2026-01-10\n"
    )
    (s,) = import_assets(ws, [csv])
    assert (s.added, s.present) == (1, 1)  # new figures for one row
    roi = by_id(ws)["a-roi-study"]
    assert (roi["views"], roi["updated"]) == (9400, "2026-03-01")
    assert [p["id"] for p in ws.passages()] == passage_ids  # the text did not change


# -- formats by content, --format, --dry-run --------------------------------------------------


def test_content_decides_the_format(ws, tmp_path):
    shutil.copy(CONTENT / "blog" / "scim-provisioning-guide.html", tmp_path / "saved-page.txt")
    shutil.copy(CONTENT / "sla-brief.pdf", tmp_path / "sla.md")
    shutil.copy(CONTENT / "sitemap.xml", tmp_path / "urls.txt")
    sums = {Path(s.file).name: s for s in import_assets(ws, [tmp_path])}
    assert sums["saved-page.txt"].format == "html (named text)"
    assert sums["sla.md"].format == "pdf (named markdown)"
    assert sums["urls.txt"].format == "sitemap (named text)"
    assets = by_id(ws)
    assert assets["a-saved-page.txt"]["title"] == "How to automate user provisioning with SCIM"
    assert assets["a-sla.md"]["title"] == "Uptime and SLA brief"


def test_binary_that_is_no_document(ws, tmp_path):
    (tmp_path / "logo.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (s,) = import_assets(ws, [tmp_path / "logo.html"])
    assert s.error == f"{tmp_path / 'logo.html'}: not an HTML file: the content is a PNG image"


def test_format_option_forces_one_format(ws, tmp_path):
    note = tmp_path / "faq-export.txt"
    note.write_text("---\ntitle: Sandbox FAQ\nstage: MOFU\n---\nSandboxes come with Enterprise.\n")
    (tmp_path / "page.dat").write_text("<p>Saved without an extension we know.</p>")
    import_assets(ws, [note])
    assert ws.assets()[0]["title"] == "faq-export"  # plain text: front matter is text
    (s,) = import_assets(ws, [note], fmt="markdown")
    assert (s.format, s.added) == ("markdown", 1)
    asset = by_id(ws)["a-faq-export.txt"]
    assert (asset["title"], asset["stage"]) == ("Sandbox FAQ", "MOFU")
    (s,) = import_assets(ws, [tmp_path / "page.dat"], fmt="html")
    assert (s.format, s.added) == ("html", 1)
    assert by_id(ws)["a-page.dat"]["body"] == "Saved without an extension we know."
    (s,) = import_assets(ws, [note], fmt="pdf")
    assert s.error == f"{note}: not a PDF document: the content is text"


def test_cli_format_option(tmp_path):
    (tmp_path / "page.dat").write_text("<title>Data export</title><p>CSV and JSON exports.</p>")
    db = tmp_path / "w.db"
    result = CliRunner().invoke(
        cli, ["--db", str(db), "ingest", "assets", "--format", "html", str(tmp_path / "page.dat")]
    )
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output and "[html]" in result.output
    with Store(db) as store:
        assert [a["title"] for a in store.assets()] == ["Data export"]
    choices = next(p for p in cli.commands["ingest"].commands["assets"].params if p.name == "fmt")
    assert tuple(choices.type.choices) == ASSET_FORMATS


def test_dry_run_writes_nothing(tmp_path):
    db = tmp_path / "w.db"
    Store(db).close()  # an existing, empty workspace
    result = CliRunner().invoke(
        cli,
        [
            "--db",
            str(db),
            "ingest",
            "assets",
            "--dry-run",
            str(CONTENT / "content-inventory.csv"),
            str(CONTENT / "blog"),
            str(CONTENT / "sitemap.xml"),
        ],
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"{CONTENT / 'content-inventory.csv'}: inventory\n" in out
    assert "  title \u2190 Title\n" in out and "  updated \u2190 Last Updated\n" in out
    assert "  views \u2190 Pageviews (else Unique Pageviews, Sessions, Downloads)\n" in out
    assert (
        "  CT-1042 | Customer story: Harbor & Pine Outfitters | type Case study | stage MOFU "
        "| updated 2026-03-02 | 12,480 views | body 1,190 chars\n"
    ) in out
    assert "scim-provisioning-guide.html: html\n" in out
    assert "sitemap.xml: sitemap\n" in out
    assert "  15 assets in all" not in out  # some sitemap pages are held by the others
    assert "  10 assets in all, 5 already held by another asset\n" in out
    assert out.count("url:orbitly.example") == 5  # the first five
    assert "would reject line 6: unreadable number 'lots'" in result.stderr
    assert out.endswith("dry run: nothing was written\n")
    with Store(db) as store:
        assert store.assets() == [] and store.sources() == [] and store.rejects() == []


def test_dry_run_without_a_workspace_creates_none(tmp_path):
    shutil.copy(CONTENT / "pages" / "reliability.html", tmp_path / "reliability.txt")
    db = tmp_path / "new.db"
    result = CliRunner().invoke(
        cli, ["--db", str(db), "ingest", "assets", "--dry-run", str(tmp_path), str(BROKEN)]
    )
    assert result.exit_code == 1  # the broken files: an import would fail on them too
    assert f"{tmp_path / 'reliability.txt'}: html (named text)\n" in result.stdout
    assert "Reliability you can plan around" in result.stdout
    assert f"error: {BROKEN / 'scanned-contract.pdf'}: the PDF has no text layer" in result.stderr
    assert not db.exists()


def test_preview_returns_plain_data(ws):
    import_assets(ws, [CONTENT / "posts"])
    ws.close()
    previews = preview_assets(
        [CONTENT / "content-inventory.csv", CONTENT / "sitemap.xml"], workspace=ws.path, limit=2
    )
    inventory, sitemap = previews
    assert (inventory.format, inventory.total, len(inventory.assets)) == ("inventory", 4, 2)
    assert ("views", "Pageviews (else Unique Pageviews, Sessions, Downloads)") in inventory.columns
    assert inventory.assets[1].views == 12480 and inventory.rejects[0].line == 6
    # the workspace's Markdown post and the inventory's rows hold 5 of the pages
    assert (sitemap.format, sitemap.total, sitemap.present) == ("sitemap", 10, 5)


def test_docx_zip_without_a_document(ws, tmp_path):
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/readme.txt", "not a document")
    (tmp_path / "odd.docx").write_bytes(buf.getvalue())
    (s,) = import_assets(ws, [tmp_path / "odd.docx"])
    assert s.error == f"{tmp_path / 'odd.docx'}: a ZIP archive without a Word document in it"
