"""An article body element to clean HTML, plain text, images and the byline.

Site selectors and the generic layer both end here, so what a reader must never see
(editor artefacts, share bars, related boxes, comment forms, scripts, inline styles)
is removed in one place, and the last word on allowed markup is nh3's, a maintained
sanitiser, not a regex.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

import nh3
from lxml import html as lxml_html
from lxml.etree import _Element

from ..items import Image
from .bylines import is_credited, looks_like_byline
from .text import clean_text, nfc, strip_end_marker

#: elements that never carry article text
_DROP_TAGS = (
    "script", "style", "noscript", "form", "iframe", "button", "input", "select",
    "textarea", "svg", "object", "embed", "template", "nav", "footer", "header", "aside", "ins",
)
#: class/id words of boxes inside a body that are page furniture, not article
_CHROME_ATTR = re.compile(
    r"(?:^|[\s_-])(?:share|social|related|relate|comment|binh-?luan|advert|ads|banner|"
    r"toolbar|tool-bar|print|rating|lien-?quan|quan-?tam|tags?|breadcrumb)(?:$|[\s_-])|"
    r"relatednews|relatedbox",
    re.IGNORECASE,
)
#: visible text of chrome blocks; an element whose text starts with one of these goes
CHROME_HEADINGS = (
    "CÓ THỂ BẠN QUAN TÂM", "TIN LIÊN QUAN", "BÀI LIÊN QUAN", "TIN CÙNG CHUYÊN MỤC",
    "Ý KIẾN BÌNH LUẬN", "GỬI BÌNH LUẬN", "THAM KHẢO THÊM", "XEM THÊM", "ĐỌC THÊM",
)
#: editor toolbar text the legacy CMS leaves inside image boxes
EDITOR_ARTEFACTS = ("leftcenterrightdel",)
_ARTEFACT_RE = re.compile("|".join(EDITOR_ARTEFACTS), re.IGNORECASE)

_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre"}
_PLACEHOLDER = re.compile(r"^data:|placeholder|blank\.(?:gif|png)|lazy|spacer", re.IGNORECASE)
_RESIZE_PARAMS = {"w", "h", "width", "height", "dpi", "quality", "q", "mode", "crop", "resize", "fit"}

ALLOWED_TAGS = {
    "p", "br", "a", "strong", "b", "em", "i", "u", "sub", "sup", "blockquote", "ul", "ol",
    "li", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "img", "table", "thead",
    "tbody", "tr", "td", "th", "pre", "code", "hr",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


@dataclass
class Body:
    html: str = ""
    text: str = ""
    images: list[Image] = field(default_factory=list)
    byline: str | None = None


def image_url(element: _Element, base_url: str) -> str | None:
    """The real image behind lazy loading, absolute, without resize parameters."""
    candidates = [element.get(a) for a in ("data-src", "data-original", "data-lazy-src", "src")]
    src = element.get("src")
    chosen = next((c for c in candidates if c and not _PLACEHOLDER.search(c)), None) or src
    if not chosen or chosen.startswith("data:"):
        return None
    return original_image_url(urljoin(base_url, chosen.strip()))


def original_image_url(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in _RESIZE_PARAMS]
    # qdnd.vn names photos ``k 2.jpg``: a space is not allowed in a URL
    path = quote(parts.path, safe="/%:@!$&'()*+,;=~")
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))


#: elements whose text is apart from their neighbours'; inline ones (a, strong, em) run on
_SEPARATE = {"br", "td", "th", "tr", "div", "figcaption", *_BLOCKS}


def _text(element: _Element) -> str:
    """The text a reader sees: ``<a>word</a>;`` is ``word;``, ``a<br>b`` is ``a b``."""
    pieces: list[str] = []

    def walk(node: _Element) -> None:
        pieces.append(node.text or "")
        for child in node:
            apart = isinstance(child.tag, str) and child.tag in _SEPARATE
            if isinstance(child.tag, str):
                pieces.append(" " if apart else "")
                walk(child)
                pieces.append(" " if apart else "")
            pieces.append(child.tail or "")

    walk(element)
    return clean_text(_ARTEFACT_RE.sub(" ", "".join(pieces)))


def _remove(element: _Element) -> None:
    """Drop an element but keep its tail text, which belongs to the parent."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail and element.tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _is_chrome(element: _Element) -> bool:
    # ``type`` too: baochinhphu.vn's CMS marks its related box ``type="RelatedNewsBox"``
    attrs = f"{element.get('class', '')} {element.get('id', '')} {element.get('type', '')}"
    if attrs.strip() and _CHROME_ATTR.search(attrs):
        return True
    return _is_chrome_heading(element)


def _is_chrome_heading(element: _Element) -> bool:
    """A block whose visible text opens with a chrome heading ("TIN LIÊN QUAN"…)."""
    if element.tag in ("div", "section", "p", "h2", "h3", "h4", "h5", "span", "table"):
        head = clean_text(" ".join(element.itertext()))[:40].upper()
        return any(head.startswith(h) for h in CHROME_HEADINGS)
    return False


def _strip_chrome(root: _Element) -> None:
    for element in list(root.iter(*_DROP_TAGS)):
        _remove(element)
    for element in list(root.iter()):
        if element is root or not isinstance(element.tag, str):
            continue
        if element.getparent() is None:  # already removed with an ancestor
            continue
        if _is_chrome(element):
            # a heading's list of related links follows it once a text extractor has
            # flattened the box they shared
            following = element.getnext() if _is_chrome_heading(element) else None
            _remove(element)
            if following is not None and following.tag in ("ul", "ol"):
                _remove(following)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.text and _ARTEFACT_RE.search(element.text):
            element.text = _ARTEFACT_RE.sub("", element.text)
        if element.tail and _ARTEFACT_RE.search(element.tail):
            element.tail = _ARTEFACT_RE.sub("", element.tail)


def _figure(img_url: str, caption: str) -> _Element:
    figure = lxml_html.Element("figure")
    img = lxml_html.Element("img", src=img_url, alt=caption)
    figure.append(img)
    if caption:
        figcaption = lxml_html.Element("figcaption")
        figcaption.text = caption
        figure.append(figcaption)
    return figure


def _caption_of(box: _Element, img: _Element) -> str:
    figcaption = box.find(".//figcaption")
    if figcaption is not None:
        return _text(figcaption)
    if box.tag == "table":
        rows = [row for row in box.iter("tr") if row.find(".//img") is None]
        return clean_text(" ".join(_text(row) for row in rows))
    return ""


def _figures(root: _Element, base_url: str) -> list[Image]:
    """Turn image tables, figures and loose images into ``<figure><img><figcaption>``."""
    images: list[Image] = []
    seen: set[str] = set()
    for img in list(root.iter("img")):
        if img.getparent() is None or not _attached(img, root):
            continue
        url = image_url(img, base_url)
        box = _box_of(img, root)
        if not url:
            _remove(box if box is not None else img)
            continue
        caption = _caption_of(box, img) if box is not None else ""
        replacement = _figure(url, caption)
        target = box if box is not None else img
        replacement.tail = target.tail
        target.getparent().replace(target, replacement)
        if url not in seen:
            seen.add(url)
            images.append(Image(url=url, caption=caption or None))
    return images


def _attached(element: _Element, root: _Element) -> bool:
    node = element
    while node is not None and node is not root:
        node = node.getparent()
    return node is root


def _box_of(img: _Element, root: _Element) -> _Element | None:
    """The nearest ancestor that holds just this image and its caption."""
    node = img.getparent()
    while node is not None and node is not root:
        if node.tag in ("figure", "table"):
            return node if len(node.findall(".//img")) == 1 else None
        node = node.getparent()
    return None


def _is_block(element: _Element) -> bool:
    """A paragraph-like element that holds no paragraph itself (a ``<blockquote>`` of ``<p>``s, or
    one left open around the rest of the body, is a container); a table row counts when it holds
    no paragraph (a data table)."""
    if element.tag not in _BLOCKS and element.tag != "tr":
        return False
    return not any(d.tag in _BLOCKS for d in element.iterdescendants())


def _without_figures(block: _Element) -> _Element:
    """The block without the figures inside it: a caption is not a sentence of the paragraph."""
    if block.find(".//figure") is None:
        return block
    block = copy.deepcopy(block)
    for figure in list(block.iter("figure")):
        _remove(figure)
    return block


def _text_blocks(root: _Element) -> list[_Element]:
    blocks = []
    for element in root.iter():
        if not isinstance(element.tag, str) or element is root:
            continue
        if _is_block(element) and not any(a.tag == "figure" or _is_block(a)
                                           for a in element.iterancestors()):
            blocks.append(element)
    return blocks


_RIGHT_ALIGNED = re.compile(r"text-align\s*:\s*right", re.IGNORECASE)


def _set_off(block: _Element) -> bool:
    """Right-aligned, or bold or italic as a whole: how Vietnamese CMSes set a byline apart
    (``<p style="text-align: right;"><strong>Phương Nhi</strong></p>``)."""
    for node in block.iter():
        if _RIGHT_ALIGNED.search(node.get("style", "")) or node.get("align", "").lower() == "right":
            return True
    emphasised = "".join(" ".join(e.itertext()) for e in block.iter("strong", "b", "em", "i")
                         if not any(a.tag in ("strong", "b", "em", "i") for a in e.iterancestors()))
    return clean_text(emphasised) == _text(block)


def _take_byline(root: _Element) -> str | None:
    """The last text block when it is a credit line: set apart by its markup, or naming its
    role or source (a plain short last paragraph is too often a caption or a lead-in)."""
    blocks = [b for b in _text_blocks(root) if _text(b)]
    if len(blocks) < 2:
        return None
    last = blocks[-1]
    text = _text(last)
    if looks_like_byline(text) and (_set_off(last) or is_credited(text)):
        _remove(last)
        return text
    return None


def _drop_end_marker(root: _Element) -> None:
    blocks = [b for b in _text_blocks(root) if _text(b)]
    if not blocks:
        return
    last = blocks[-1]
    nodes = [n for n in last.iter() if isinstance(n.tag, str)]
    for node in reversed(nodes):
        for attr in ("tail", "text"):
            if node is last and attr == "tail":
                continue
            value = getattr(node, attr)
            if value and value.strip():
                setattr(node, attr, strip_end_marker(value.rstrip()))
                return


def _loose_text_to_paragraphs(root: _Element) -> None:
    """Text sitting straight in a div (``<div>para<br><br>para</div>``) becomes paragraphs."""
    for div in list(root.iter("div", "section", "article", "span")):
        if div.getparent() is None and div is not root:
            continue
        if any(child.tag in _BLOCKS or child.tag in ("div", "figure", "table")
               for child in div if isinstance(child.tag, str)):
            continue
        text = clean_text(div.text_content())
        if text and div is not root:
            div.tag = "p"


#: inline elements that belong in a paragraph with the text around them
_INLINE = {"a", "abbr", "b", "br", "cite", "code", "em", "font", "i", "mark", "q", "s", "small", "span",
           "strong", "sub", "sup", "time", "u"}
_CONTAINERS = ("div", "section", "article", "main", "td", "body")


def _holds_blocks(element: _Element) -> bool:
    """An inline element left open around paragraphs (``<span><p>…``) is no inline run."""
    return any(d.tag in _BLOCKS or d.tag in ("div", "figure", "table") for d in element.iterdescendants())


def _wrap_loose_runs(root: _Element) -> None:
    """Text between blocks (``<h2>…</h2>Some prose<h2>``) becomes a paragraph of its own.

    A container that mixes blocks with bare text would otherwise lose the bare text: only
    blocks make paragraphs.
    """
    for container in [root, *root.iter(*_CONTAINERS)]:
        kids = [k for k in container if isinstance(k.tag, str)]
        if not any(k.tag not in _INLINE for k in kids):
            continue
        run: _Element | None = None

        def add_text(text: str | None, position: int) -> None:
            nonlocal run
            if not text or not text.strip():
                return
            if run is None:
                run = lxml_html.Element("p")
                container.insert(position, run)
                run.text = text
            elif len(run):
                run[-1].tail = (run[-1].tail or "") + text
            else:
                run.text = (run.text or "") + text

        text, container.text = container.text, None
        add_text(text, 0)
        for kid in list(container):
            tail, kid.tail = kid.tail, None
            if isinstance(kid.tag, str) and kid.tag in _INLINE and not _holds_blocks(kid):
                if run is None:
                    run = lxml_html.Element("p")
                    kid.addprevious(run)
                run.append(kid)
            elif isinstance(kid.tag, str):
                run = None
            add_text(tail, container.index(run if run is not None and run.getparent() is container
                                                else kid) + 1)


def _posters_to_images(root: _Element) -> None:
    """A video player keeps its poster frame as the picture; the player itself cannot go in a feed."""
    for video in list(root.iter("video")):
        poster = video.get("poster")
        if poster and not poster.startswith("data:"):
            img = lxml_html.Element("img", src=poster)
            img.tail = video.tail
            video.getparent().replace(video, img)


def clean_body(element: _Element, base_url: str) -> Body:
    """Everything a feed needs from the element that holds the article."""
    root = copy.deepcopy(element)
    _posters_to_images(root)
    _strip_chrome(root)
    images = _figures(root, base_url)
    _loose_text_to_paragraphs(root)
    _wrap_loose_runs(root)
    byline = _take_byline(root)
    _drop_end_marker(root)
    root.make_links_absolute(base_url, resolve_base_href=False)

    paragraphs = [_text(_without_figures(block)) for block in _text_blocks(root)]
    text = "\n\n".join(p for p in paragraphs if p)
    raw = lxml_html.tostring(root, encoding="unicode", method="html")
    cleaned = nh3.clean(
        clean_html_text(raw),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        strip_comments=True,
        link_rel="noopener noreferrer",
    )
    return Body(html=_EMPTY_P.sub("", cleaned).strip(), text=text, images=images, byline=byline)


_EMPTY_P = re.compile(r"<p>\s*</p>")


def clean_html_text(markup: str) -> str:
    """Text-level normalisation of markup: NFC, nbsp and zero-width characters out."""
    return re.sub(r"[\u200b\u200c\u200d\u2060\ufeff]", "", nfc(markup)).replace("\u00a0", " ")
