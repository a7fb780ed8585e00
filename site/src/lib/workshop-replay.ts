/**
 * Replay of a learner's terminal recording on the dashboard (issue 23): the learner's
 * recordings (asciicast v2, one per terminal opened), asciinema-player with a speed control and
 * the check markers ("m" events: "check <lab>: passed|failed") listed as buttons that seek to them.
 * The file is fetched with the key in a header and handed to the player as data.
 */
import { fmt } from './fmt.ts';
import { fetchRecording, listRecordings } from './workshop-api.ts';
import { describeError } from './session.ts';
import { castMarkers } from './asciicast-markers.ts';

export function attachReplay(h: { root: HTMLElement; ui: Record<string, string>; id: string; key: () => string }) {
  const { root, ui, id } = h;
  const q = <T extends HTMLElement>(s: string) => root.querySelector<T>(s)!;
  const dlg = q<HTMLDialogElement>('.rl-dash-replay');
  const pick = q<HTMLSelectElement>('#rl-dash-replay-rec');
  const speed = q<HTMLSelectElement>('#rl-dash-replay-speed');
  const status = q('.rl-dash-replay-status');
  const screen = q('.rl-dash-replay-screen');
  const markers = q('.rl-dash-replay-markers');
  let player: import('asciinema-player').Player | null = null;
  let session = '';
  let text = '';

  const dispose = () => {
    player?.dispose();
    player = null;
    screen.replaceChildren();
  };
  dlg.addEventListener('close', () => {
    dispose();
    markers.replaceChildren();
  });

  async function mount(at = 0) {
    dispose();
    const [AP] = await Promise.all([import('asciinema-player'), import('asciinema-player/dist/bundle/asciinema-player.css')]);
    const found = castMarkers(text);
    player = AP.create({ data: text }, screen, {
      speed: Number(speed.value) || 1,
      fit: 'width',
      idleTimeLimit: 2,
      markers: found.map((m) => [m.time, m.label] as [number, string]),
      terminalFontFamily: 'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
    });
    if (at > 0) void player.seek(at);
    markers.replaceChildren(
      ...found.map((m, i) => {
        const li = document.createElement('li');
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'rl-btn rl-btn-secondary rl-btn-small';
        b.dataset.state = /passed/.test(m.label) ? 'pass' : /failed/.test(m.label) ? 'fail' : 'other';
        b.textContent = `${/passed/.test(m.label) ? '✓' : /failed/.test(m.label) ? '✗' : '•'} ${m.label} (${Math.round(m.time)} s)`;
        b.addEventListener('click', () => void player?.seek({ marker: i }));
        li.append(b);
        return li;
      }),
    );
    status.textContent = found.length ? fmt(ui, 'dash.replay.markers', { n: found.length }) : (ui['dash.replay.nomarkers'] ?? '');
  }

  async function load(recording: string) {
    status.textContent = ui['dash.busy'] ?? '';
    try {
      text = await fetchRecording(h.key(), id, session, recording);
      await mount();
    } catch (e) {
      status.textContent = describeError(e, ui);
    }
  }

  pick.addEventListener('change', () => void load(pick.value));
  speed.addEventListener('change', () => {
    if (text) void mount(player?.getCurrentTime() ?? 0);
  });

  return {
    async open(sessionId: string, name: string) {
      session = sessionId;
      text = '';
      q('#rl-dash-replay-h').textContent = fmt(ui, 'dash.replay.title', { name });
      dlg.showModal();
      status.textContent = ui['dash.busy'] ?? '';
      try {
        const list = await listRecordings(h.key(), id, sessionId);
        pick.replaceChildren(...list.map((r, i) => new Option(fmt(ui, 'dash.replay.rec', { n: i + 1, time: new Date(r.startedAt).toLocaleTimeString(document.documentElement.lang || 'ru'), kb: Math.max(1, Math.round(r.bytes / 1024)) }), r.id)));
        if (!list.length) {
          status.textContent = ui['dash.replay.none'] ?? '';
          return;
        }
        pick.value = list.at(-1)!.id;
        await load(pick.value);
      } catch (e) {
        status.textContent = describeError(e, ui);
      }
    },
  };
}
