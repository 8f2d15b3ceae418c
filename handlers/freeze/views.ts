import { Blocks, Md } from 'slack-block-builder';
import { blocks, type Message } from '../../pipeline/message.ts';
import { codeText, escapeMrkdwn, lineSections } from '../../pipeline/views/common.ts';
import { describeFreeze } from './describe.ts';
import type { ActiveFreeze } from './windows.ts';

/** `freezes`: what is frozen now. */
export function freezesMessage(freezes: readonly ActiveFreeze[]): Message {
  if (freezes.length === 0)
    return {
      text: 'Nothing is frozen: dpbot deploys as usual.',
      blocks: blocks(Blocks.Section({ text: 'Nothing is frozen: dpbot deploys as usual.' })),
    };
  const lines = freezes.map(describeFreeze);
  return {
    text: ['Deploy freezes in force:', ...lines].join('\n'),
    blocks: blocks(
      Blocks.Section({ text: Md.bold('Deploy freezes in force') }),
      ...lineSections(lines.map((l) => `❄️ ${escapeMrkdwn(l)}`)),
      Blocks.Context().elements(
        `A ship is refused until they end, except for holders of release.ship.frozen with ${codeText('--reason')}.`,
      ),
    ),
  };
}

/** A freeze set or lifted, said in the channel so the team sees it. */
export function freezeNotice(text: string): Message {
  return {
    text,
    visibility: 'in_channel',
    blocks: blocks(Blocks.Section({ text: `❄️ ${escapeMrkdwn(text)}` })),
  };
}

/** The App Home's freeze line, when something is frozen. */
export function freezePanel(freezes: readonly ActiveFreeze[]) {
  if (freezes.length === 0) return [];
  return [
    Blocks.Divider(),
    Blocks.Section({
      text: `${Md.bold('Deploy freeze')}\n${freezes.map((f) => `❄️ ${escapeMrkdwn(describeFreeze(f))}`).join('\n')}`,
    }),
    Blocks.Context().elements(
      `${codeText('/dp freezes')} lists them; ${codeText('/dp unfreeze')} lifts an ad hoc one`,
    ),
  ];
}
