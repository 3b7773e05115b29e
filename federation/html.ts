const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes user text for HTML. Users write plain text; nothing they type becomes markup. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Plain text to HTML paragraphs: blank lines split paragraphs, single newlines become <br>. */
export function paragraphs(text: string): string {
  return text
    .trim()
    .split(/\r?\n\s*\r?\n/)
    .filter((p) => p.trim() !== "")
    .map((p) => `<p>${p.trim().split(/\r?\n/).map(escapeHtml).join("<br>")}</p>`)
    .join("");
}
