"""The page's own CSS and JavaScript, kept apart from the layout in `ui/app.py`."""

CSS = """
/* One width for the whole page: without `width`, the container shrinks to its content, so the page
   changed width between the tabs and when an upload changed the Articles table. The gutter is kept
   for the scrollbar, so a page that grows taller does not get narrower either. */
html { scrollbar-gutter: stable; }
.gradio-container { width: 100% !important; max-width: 1440px !important; margin: 0 auto !important; }
#nr-header { padding: 4px 2px 0; }
#nr-header h1 { font-size: 1.45rem; font-weight: 650; margin: 0; letter-spacing: -0.01em; }
#nr-header p { margin: 2px 0 0; color: var(--body-text-color-subdued); font-size: 0.95rem; }
#chat .message { font-size: 0.98rem; line-height: 1.55; }
a.cite { display: inline-block; padding: 0 0.3em; margin: 0 0.08em; border-radius: 4px; font-size: 0.82em;
  font-weight: 650; line-height: 1.45; text-decoration: none !important; vertical-align: 0.08em; cursor: pointer;
  background: #dbeafe; color: #1d4ed8 !important; border: 1px solid #bfdbfe; }
a.cite:hover, a.cite:focus { background: #1d4ed8; color: #fff !important; }
a.cite.cite-unverified { background: #ffedd5; color: #9a3412 !important; border: 1px dashed #ea580c; }
a.cite.cite-unverified:hover { background: #9a3412; color: #fff !important; }
.rag-note { margin-top: 0.5em; font-size: 0.88em; color: var(--body-text-color-subdued); font-style: italic; }
.rag-closest { margin-top: 0.4em; font-style: normal; color: var(--body-text-color); }
.rag-closest ul { margin: 0.2em 0 0 0; padding-left: 1.2em; }
.rag-closest-source { color: var(--body-text-color-subdued); font-size: 0.92em; }
.rag-query { margin-top: 0.4em; font-size: 0.85em; color: var(--body-text-color-subdued); }
.rag-meta { margin-top: 0.45em; font-size: 0.78em; color: var(--body-text-color-subdued); }
.rag-error { color: #b91c1c; }
.typing, .status { color: var(--body-text-color-subdued); }
#nr-sources-title h3 { margin: 4px 0 2px; font-size: 1.05rem; }
#nr-sources { max-height: 640px; overflow-y: auto !important; padding-right: 4px; }
.sources details.turn { margin: 0 0 10px; }
.sources summary { cursor: pointer; font-size: 0.85rem; color: var(--body-text-color-subdued); padding: 2px 0; }
.sources summary .turn-q { font-weight: 600; color: var(--body-text-color); }
.src { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px; margin: 8px 0;
  background: var(--background-fill-primary); transition: box-shadow .25s, border-color .25s; outline: none;
  scroll-margin-top: 34px; }
.src.src-unverified { border-left: 4px solid #ea580c; }
.src-closest { border: 1px dashed var(--border-color-primary); border-radius: 8px; padding: 10px 12px; margin: 8px 0; }
.sources-closest { font-size: 0.85rem; color: var(--body-text-color-subdued); margin-top: 6px; }
.src.src-active { border-color: #2563eb; box-shadow: 0 0 0 3px rgba(37, 99, 235, .28); }
.src-head { font-weight: 600; line-height: 1.35; }
.src-num { color: #1d4ed8; }
.src-unverified .src-num { color: #9a3412; }
.src-meta { font-size: 0.8rem; color: var(--body-text-color-subdued); margin-top: 2px; }
.src-open { cursor: pointer; font-weight: 600; color: var(--body-text-color) !important;
  text-decoration: underline dotted #93c5fd !important; text-underline-offset: 3px; }
.src-open:hover, .src-open:focus-visible { color: #1d4ed8 !important; text-decoration: underline solid !important; }
.src-open:focus-visible { outline: 2px solid #2563eb; outline-offset: 2px; border-radius: 2px; }
.src-link { color: #1d4ed8 !important; text-decoration: none; }
.src-link:hover { text-decoration: underline; }
.src-date[title], .art-meta [title] { text-decoration: underline dotted; text-underline-offset: 2px; cursor: help; }
#nr-article { width: min(860px, 94vw); max-width: 94vw; max-height: 88vh; padding: 0; overflow: auto;
  border: 1px solid var(--border-color-primary); border-radius: 10px; background: var(--background-fill-primary);
  color: var(--body-text-color); box-shadow: 0 20px 50px rgba(15, 23, 42, .35); }
#nr-article::backdrop { background: rgba(15, 23, 42, .45); }
#nr-article .art-bar { position: sticky; top: 0; display: flex; justify-content: flex-end; margin: 0; padding: 8px 12px;
  background: var(--background-fill-primary); border-bottom: 1px solid var(--border-color-primary); }
#nr-article .art-bar button { cursor: pointer; font-size: 0.85rem; padding: 3px 10px; border-radius: 6px;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary); color: inherit; }
#nr-article .art-body { padding: 4px 24px 22px; }
.art-title { font-size: 1.3rem; font-weight: 650; line-height: 1.3; margin: 10px 0 4px; }
.art-meta { font-size: 0.85rem; color: var(--body-text-color-subdued); }
.art-id { font-family: var(--font-mono); font-size: 0.72rem; color: var(--body-text-color-subdued); margin-top: 2px; }
.art-note { margin: 10px 0 0; padding: 6px 10px; border-radius: 6px; font-size: 0.85rem;
  background: #ffedd5; color: #9a3412; }
.art-text { white-space: pre-wrap; overflow-wrap: anywhere; margin-top: 14px;
  font-family: Georgia, 'Times New Roman', serif; font-size: 1rem; line-height: 1.6; }
.art-passage { background: #e0ecff; border-radius: 2px; }
mark.art-quote { background: #fde047; color: inherit; padding: 0 1px; border-radius: 2px; }
.art-gap { color: var(--body-text-color-subdued); cursor: help; }
.art-foot { margin-top: 14px; font-size: 0.78rem; font-style: italic; color: var(--body-text-color-subdued); }
.art-missing { padding: 14px 0; }
.badge { display: inline-block; font-size: 0.68rem; font-weight: 700; text-transform: uppercase; letter-spacing: .04em;
  padding: 1px 6px; border-radius: 999px; vertical-align: 0.12em; margin-left: 4px; }
.badge-ok { background: #dcfce7; color: #166534; }
.badge-warn { background: #ffedd5; color: #9a3412; border: 1px dashed #ea580c; }
.badge-closest { background: var(--background-fill-secondary); color: var(--body-text-color-subdued); }
.src-passage { margin: 8px 0 0; padding: 0 0 0 10px; border-left: 3px solid var(--border-color-primary);
  font-family: Georgia, 'Times New Roman', serif; font-size: 0.93rem; line-height: 1.55; color: var(--body-text-color); }
mark.quote { background: #fef3c7; color: inherit; padding: 0 1px; border-radius: 2px; }
.src.src-active mark.quote { background: #fde047; }
.src-unverified mark.quote { background: #ffedd5; }
.sources-empty, .sources-none, .corpus-empty { color: var(--body-text-color-subdued); font-size: 0.92rem; padding: 8px 2px; }
.cite-demo { display: inline-block; padding: 0 0.3em; border-radius: 4px; background: #dbeafe; color: #1d4ed8; font-weight: 650; font-size: .85em; }
table.corpus { width: 100%; border-collapse: collapse; font-size: 0.92rem; border: 0 !important; }
#nr-corpus table.corpus th, #nr-corpus table.corpus td, #nr-corpus table.corpus tr {
  border-left: 0 !important; border-right: 0 !important; border-top: 0 !important; }
table.corpus th { text-align: left; font-weight: 600; border-bottom: 2px solid var(--border-color-primary); padding: 6px 8px; }
table.corpus td { border-bottom: 1px solid var(--border-color-primary); padding: 6px 8px; vertical-align: top; }
table.corpus .num { text-align: right; }
table.corpus .a-id { font-family: var(--font-mono); font-size: 0.74rem; color: var(--body-text-color-subdued); }
.corpus-count { font-size: 0.82rem; color: var(--body-text-color-subdued); margin-top: 4px; }
#nr-status { font-size: 0.92rem; }
#nr-confirm { border: 1px solid #fca5a5; border-radius: 8px; padding: 10px 12px; background: #fef2f2; }
#nr-confirm-text { font-size: 0.92rem; color: #7f1d1d; }
#nr-confirm-text .a-id { font-family: var(--font-mono); font-size: 0.74rem; }
"""

# Run once when the page loads. Clicking a [n] marker (a link to #src-<turn>-<n>) opens that turn's
# sources, highlights the passage and scrolls it into view, instead of navigating; and every chat
# message gets a plain-text aria-label.
JS = r"""
() => {
  if (window.__newsragCites) return;
  window.__newsragCites = true;
  document.addEventListener('click', (ev) => {
    const link = ev.target && ev.target.closest ? ev.target.closest('a[href^="#src-"]') : null;
    if (!link) return;
    ev.preventDefault();
    ev.stopPropagation();
    const target = document.getElementById(link.getAttribute('href').slice(1));
    if (!target) return;
    const group = target.closest('details');
    if (group) group.open = true;
    document.querySelectorAll('.src.src-active').forEach((el) => el.classList.remove('src-active'));
    target.classList.add('src-active');
    // scroll inside the sources panel only (the chat stays where it is); on narrow screens,
    // where the panel sits below the chat, bring the card into the window
    const box = document.getElementById('nr-sources');
    if (box && box.scrollHeight > box.clientHeight) {
      const offset = target.getBoundingClientRect().top - box.getBoundingClientRect().top - 34;
      box.scrollBy({ top: offset, behavior: 'smooth' });
    }
    const rect = target.getBoundingClientRect();
    if (rect.top < 0 || rect.top > window.innerHeight - 60) target.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
    target.focus({ preventScroll: true });
  }, true);

  // Gradio labels each chat message with its raw content, which is HTML here, so a screen reader
  // read out '<a class="cite" href=...'. Label each message with the text it shows instead; once
  // a frame at most, as an answer being written changes the chat many times a second.
  const label = (el) => {
    const who = el.getAttribute('data-testid') === 'user' ? 'Question' : 'Answer';
    const text = `${who}: ${el.innerText.replace(/\s+/g, ' ').trim()}`;
    if (el.getAttribute('aria-label') !== text) el.setAttribute('aria-label', text);
  };
  let queued = false;
  const relabel = () => {
    queued = false;
    document.querySelectorAll('#chat [data-testid=user][aria-label], #chat [data-testid=bot][aria-label]').forEach(label);
  };
  new MutationObserver(() => { if (!queued) { queued = true; requestAnimationFrame(relabel); } }).observe(
    document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['aria-label'] });
  relabel();
}
"""


# Clicking an article's title on a source card opens the whole article as stored, in a modal
# <dialog> (Escape, the Close button or a click beside it closes it). The page asks the server
# for the article's HTML (`open_article`, built and escaped by `render.article_view`) with the
# card's data-* attributes: the article id and the offsets of the cited passage and sentence.
# Runs once per page as the Sources panel's `js_on_load`; the dialog lives outside the panel,
# whose HTML is replaced after every answer.
SOURCES_JS = """
const dialogFor = () => {
  let box = document.getElementById('nr-article');
  if (box) return box;
  box = document.createElement('dialog');
  box.id = 'nr-article';
  box.setAttribute('aria-labelledby', 'nr-article-title');
  box.innerHTML = '<form method="dialog" class="art-bar"><button id="nr-article-close" '
    + 'aria-label="Close the article">Close ✕</button></form><div class="art-body"></div>';
  box.addEventListener('click', (ev) => { if (ev.target === box) box.close(); });  // the backdrop
  (element.closest('.gradio-container') || document.body).appendChild(box);
  return box;
};
let asked = 0;
element.addEventListener('click', async (ev) => {
  const title = ev.target && ev.target.closest ? ev.target.closest('a.src-open') : null;
  if (!title) return;
  ev.preventDefault();
  const box = dialogFor();
  const body = box.querySelector('.art-body');
  const mine = ++asked;
  body.textContent = 'Loading the article…';
  if (!box.open) box.showModal();
  let html = null;
  try { html = await server.open_article({ ...title.dataset }); } catch (err) { html = null; }
  if (mine !== asked) return;  // a later click is being answered
  if (typeof html === 'string') body.innerHTML = html;
  else body.textContent = 'Could not load the article. Close this and try again.';
  const target = body.querySelector('mark.art-quote') || body.querySelector('.art-passage');
  if (target) target.scrollIntoView({ block: 'center' });
});
"""
