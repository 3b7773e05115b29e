/**
 * Reads an RSS feed the way feed readers do: a real feed parser (rss-parser)
 * decodes the XML, then each description is parsed as the HTML readers take
 * it to be (parse5, the WHATWG parsing algorithm browsers follow).
 */
import { type DefaultTreeAdapterMap, parseFragment } from "parse5";
import Parser from "rss-parser";

type Node = DefaultTreeAdapterMap["node"];

export interface ReaderView {
  /** The channel's description, decoded once as the XML says. */
  readonly channelDescription: string;
  /** Each item's description, decoded once as the XML says (the HTML a reader renders). */
  readonly descriptions: string[];
}

export async function readRss(xml: string): Promise<ReaderView> {
  const feed = await new Parser().parseString(xml);
  return {
    channelDescription: feed.description ?? "",
    descriptions: feed.items.map((item) => item.content ?? ""),
  };
}

function walk(node: Node, visit: (node: Node) => void): void {
  visit(node);
  if ("childNodes" in node) for (const child of node.childNodes) walk(child, visit);
}

/** The tag names of every element the HTML fragment makes (none for plain text). */
export function htmlElements(html: string): string[] {
  const names: string[] = [];
  walk(parseFragment(html), (node) => {
    if ("tagName" in node) names.push(node.tagName);
  });
  return names;
}

/** The text a browser would show for the HTML fragment, entities decoded. */
export function htmlTextContent(html: string): string {
  let text = "";
  walk(parseFragment(html), (node) => {
    if (node.nodeName === "#text" && "value" in node) text += node.value;
  });
  return text;
}
