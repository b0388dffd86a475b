package org.cityvision.app.bench;

import io.vertx.core.json.JsonObject;

/**
 * The JavaScript {@code bench review} runs in the review page to time it from inside the browser
 * (performance.now(), no round trip to the benchmark in the figure).
 */
final class PageProbes {
  private PageProbes() {}

  /**
   * Evaluated at the start of every document: {@code window.__cityvisionFirstPaint} resolves to the
   * milliseconds from navigation start until 60 tiles and a number in the open count are on screen.
   */
  static final String FIRST_PAINT =
      """
      window.__cityvisionFirstPaint = new Promise((resolve) => {
        const ready = () => {
          const open = document.querySelector('[data-count="open"]');
          return document.querySelectorAll('#grid .tile').length >= 60
            && open !== null && /[0-9]/.test(open.textContent);
        };
        const observer = new MutationObserver(() => {
          if (ready()) { observer.disconnect(); resolve(performance.now()); }
        });
        observer.observe(document, { subtree: true, childList: true, characterData: true });
      });
      """;

  /**
   * Evaluated before a verdict key: {@code window.__cityvisionVerdict} resolves to {@code {next,
   * counts, open}}: milliseconds from the key's event until another tile is selected and until the
   * open count on screen changed, and the count then shown (-1 for what did not happen in 10 s).
   */
  static final String AFTER_VERDICT =
      """
      (() => {
        const selected = () => document.querySelector('#grid .tile.selected')?.dataset.frameId;
        const shown = () => document.querySelector('[data-count="open"]').textContent;
        const before = selected();
        const open = shown();
        const t = { key: 0, next: -1, counts: -1 };
        window.addEventListener('keydown', () => { t.key = performance.now(); },
          { capture: true, once: true });
        window.__cityvisionVerdict = new Promise((resolve) => {
          const done = () => { observer.disconnect(); resolve({ next: t.next, counts: t.counts, open: shown() }); };
          const observer = new MutationObserver(() => {
            if (!t.key) return;
            if (t.next < 0 && selected() !== before) t.next = performance.now() - t.key;
            if (t.counts < 0 && shown() !== open) t.counts = performance.now() - t.key;
            if (t.next >= 0 && t.counts >= 0) done();
          });
          observer.observe(document, { subtree: true, childList: true, characterData: true,
            attributes: true, attributeFilter: ['class'] });
          setTimeout(done, 10000);
        });
        return before !== undefined;
      })()
      """;

  /** The browser's product and version, e.g. {@code HeadlessChrome/142.0.7444.175}. */
  static String version(HeadlessChromium page) {
    return page.call("Browser.getVersion", new JsonObject()).getString("product");
  }
}
