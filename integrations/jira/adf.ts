/**
 * Atlassian Document Format, the little of it dpbot writes. Text goes in as text nodes, so what a
 * user typed (a parameter value with `{code}` or `[link|x]` in it) stays text: unlike wiki markup,
 * ADF has nothing in a string for Jira to interpret.
 */
export type AdfText = {
  type: 'text';
  text: string;
  marks?: ({ type: 'strong' } | { type: 'code' } | { type: 'link'; attrs: { href: string } })[];
};
export type AdfParagraph = {
  type: 'paragraph';
  content: AdfText[];
};
export type AdfBulletList = {
  type: 'bulletList';
  content: { type: 'listItem'; content: AdfParagraph[] }[];
};
export type AdfBlock = AdfParagraph | AdfBulletList;
export type AdfDocument = {
  type: 'doc';
  version: 1;
  content: AdfBlock[];
};

export const text = (value: string): AdfText => ({ type: 'text', text: value });
export const strong = (value: string): AdfText => ({
  type: 'text',
  text: value,
  marks: [{ type: 'strong' }],
});
export const code = (value: string): AdfText => ({ type: 'text', text: value, marks: [{ type: 'code' }] });
export const link = (value: string, href: string): AdfText => ({
  type: 'text',
  text: value,
  marks: [{ type: 'link', attrs: { href } }],
});

/** A paragraph; empty text nodes are dropped (Jira rejects them). */
export const paragraph = (...content: AdfText[]): AdfParagraph => ({
  type: 'paragraph',
  content: content.filter((t) => t.text !== ''),
});

export const bulletList = (items: readonly AdfText[][]): AdfBulletList => ({
  type: 'bulletList',
  content: items.map((item) => ({ type: 'listItem', content: [paragraph(...item)] })),
});

export const doc = (...content: AdfBlock[]): AdfDocument => ({ type: 'doc', version: 1, content });
