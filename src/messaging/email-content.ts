/**
 * The emails coordinators receive, written in one language: plain text and
 * a simple HTML part with the same words. Pure: links come in ready-made.
 */
import type { DigestFrequency, EmailKind } from "../domain/email-notifications.ts";
import type { Messages } from "../web/i18n/en.ts";

export interface EmailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const escapeHtml = (value: string) =>
  value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");

/** Links inside a sentence (the ones a person's update carries) made clickable. */
const linkify = (escaped: string) =>
  escaped.replace(/https?:\/\/[^\s<]+/g, (url) => `<a href="${url}">${url}</a>`);

/** One block of an email: a paragraph, a link, or a list of lines with links. */
type Block =
  | { readonly paragraph: string }
  | { readonly label: string; readonly link: string }
  | { readonly items: readonly { readonly text: string; readonly link: string }[] };

function render(language: string, subject: string, blocks: readonly Block[]): EmailContent {
  const text = blocks
    .map((b) =>
      "paragraph" in b
        ? b.paragraph
        : "link" in b
          ? `${b.label}\n${b.link}`
          : b.items.map((i) => `- ${i.text}\n  ${i.link}`).join("\n"),
    )
    .join("\n\n");
  const body = blocks
    .map((b) =>
      "paragraph" in b
        ? `<p>${linkify(escapeHtml(b.paragraph))}</p>`
        : "link" in b
          ? `<p>${escapeHtml(b.label)}<br><a href="${escapeHtml(b.link)}">${escapeHtml(b.link)}</a></p>`
          : `<ul>${b.items.map((i) => `<li><a href="${escapeHtml(i.link)}">${escapeHtml(i.text)}</a></li>`).join("")}</ul>`,
    )
    .join("\n");
  const html = `<!DOCTYPE html>\n<html lang="${escapeHtml(language)}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>\n<body style="font-family:sans-serif;line-height:1.4">\n${body}\n</body></html>\n`;
  return { subject, text: `${text}\n`, html };
}

export interface Footer {
  readonly username: string;
  readonly preferencesLink: string;
  readonly unsubscribeLink: string;
}

function footerBlocks(t: Messages, footer: Footer): Block[] {
  return [
    { paragraph: `-- \n${t.email.footerWhy(footer.username)}` },
    { label: t.email.footerPreferences, link: footer.preferencesLink },
    { label: t.email.footerUnsubscribe, link: footer.unsubscribeLink },
  ];
}

export function confirmationEmail(
  t: Messages,
  language: string,
  username: string,
  link: string,
): EmailContent {
  return render(language, t.email.confirmSubject, [
    { label: t.email.confirmText(username), link },
    { paragraph: t.email.ignoreIfNotYou },
  ]);
}

export function passwordResetEmail(
  t: Messages,
  language: string,
  username: string,
  link: string,
): EmailContent {
  return render(language, t.email.resetSubject, [
    { label: t.email.resetText(username), link },
    { paragraph: t.email.ignoreIfNotYou },
  ]);
}

export function testEmail(t: Messages, language: string): EmailContent {
  return render(language, t.email.testSubject, [{ paragraph: t.email.testText }]);
}

export function notificationEmail(
  t: Messages,
  language: string,
  event: { kind: EmailKind; groupName: string; sentence: string; link: string },
  footer: Footer,
): EmailContent {
  const kind = t.email.kinds[event.kind];
  return render(language, t.email.notificationSubject(event.groupName, kind), [
    { paragraph: `${kind} · ${event.groupName}` },
    { paragraph: event.sentence },
    { label: t.email.openIt, link: event.link },
    ...footerBlocks(t, footer),
  ]);
}

export function digestEmail(
  t: Messages,
  language: string,
  frequency: DigestFrequency,
  entries: readonly { kind: EmailKind; groupName: string; sentence: string; link: string }[],
  footer: Footer,
): EmailContent {
  // Grouped by collective, in the order their first entry came.
  const groups = Map.groupBy(entries, (e) => e.groupName);
  const blocks: Block[] = [{ paragraph: t.email.digestIntro(entries.length) }];
  for (const [groupName, items] of groups) {
    blocks.push({ paragraph: groupName });
    blocks.push({
      items: items.map((e) => ({ text: e.sentence, link: e.link })),
    });
  }
  return render(language, t.email.digestSubject(entries.length, frequency === "daily"), [
    ...blocks,
    ...footerBlocks(t, footer),
  ]);
}

/**
 * An update to a person about their request: the sentence (with its link)
 * and why they get it. No unsubscribe link: they asked for these about one
 * request, and they stop when its contact is erased.
 */
export function requesterEmail(
  t: Messages,
  language: string,
  groupName: string,
  sentence: string,
): EmailContent {
  return render(language, t.email.requesterSubject(groupName), [
    { paragraph: sentence },
    { paragraph: `-- \n${t.email.requesterWhy(groupName)}` },
  ]);
}
