/**
 * The help phase of bench:classroom (issue 23). With the room's learners connected (a terminal
 * each), first a baseline, then a third of the room raises a hand and the instructor takes over
 * five terminals in turn (ask on a shadow, the learner allows, the instructor types, gives control
 * back). Measured the whole time: every learner's keystroke echo (a byte typed -> the output that
 * echoes it; then erased), and, for the help phase, the dashboard's `help` event delay (the raise
 * answered -> the event listing that learner), the ask-to-active time and the instructor's own
 * echo through the shadow. Loopback only; it leaves the hands up (the workshop's end closes them).
 */
import { WebSocket } from 'ws';
import { encodeMessage, parseServerEvent } from '../protocol/terminal.ts';
import { pct } from './stats.ts';

export interface HelpPhaseOptions {
  url: string;
  workshopId: string;
  key: string;
  learners: { session: string; token: string }[];
  takeovers?: number;
  /** Each phase's length of echo probing (ms). */
  baselineMs?: number;
  probeGapMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A percentile in whole ms, null when there is no sample. */
const pctMs = (xs: number[], p: number): number | null => (xs.length ? Math.round(pct(xs, p)) : null);

/** A socket (learner terminal or shadow) that measures the echo of single typed bytes. */
class Probe {
  readonly ws: WebSocket;
  private pending: { t0: number; ch: string } | null = null;
  readonly echoes: number[] = [];
  readonly events: { type: string; state?: string; reason?: string; at: number }[] = [];
  private ready = false;
  onEvent: (e: { type: string; state?: string }) => void = () => {};
  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (d, bin) => {
      const buf = d as Buffer;
      if (!bin) {
        const e = parseServerEvent(buf.toString());
        if (!e) return;
        if (e.type === 'ready' || e.type === 'shadow') this.ready = true;
        this.events.push({ ...(e as { type: string; state?: string; reason?: string }), at: performance.now() });
        this.onEvent(e);
        return;
      }
      if (this.pending && buf.toString('utf8').includes(this.pending.ch)) {
        this.echoes.push(performance.now() - this.pending.t0);
        this.pending = null;
      }
    });
    this.ws.on('error', () => {});
  }
  async open(timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!this.ready) {
      if (Date.now() > end || this.ws.readyState > WebSocket.OPEN) throw new Error('terminal did not open');
      await sleep(20);
    }
  }
  /** Types `ch`, waits for its echo (bounded), erases it. */
  async probe(ch: string, timeoutMs = 5000): Promise<void> {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.pending = { t0: performance.now(), ch };
    this.ws.send(Buffer.from(ch), { binary: true });
    const end = Date.now() + timeoutMs;
    while (this.pending && Date.now() < end) await sleep(2);
    this.pending = null;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(Buffer.from('\x7f'), { binary: true });
  }
  control(msg: Parameters<typeof encodeMessage>[0]): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeMessage(msg));
  }
  async until(test: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!test()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(5);
    }
  }
  close(): void {
    this.ws.close();
  }
}

/** The workshop's event stream: when each session first appeared in a `help` event's queue. */
function watchHelpEvents(url: string, workshopId: string, key: string) {
  const seen = new Map<string, number>();
  const ctl = new AbortController();
  const done = (async () => {
    const res = await fetch(`${url}/api/workshops/${workshopId}/events`, { headers: { authorization: `Bearer ${key}` }, signal: ctl.signal });
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) return;
      buf += dec.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (!/^event: help$/m.test(block)) continue;
        const data = block.split('\n').find((l) => l.startsWith('data: '))?.slice(6);
        try {
          for (const r of (JSON.parse(data ?? '{}') as { queue?: { session: string }[] }).queue ?? []) if (!seen.has(r.session)) seen.set(r.session, performance.now());
        } catch {
          /* not this bench's business */
        }
      }
    }
  })().catch(() => undefined);
  return {
    seen,
    async stop() {
      ctl.abort();
      await done;
    },
  };
}

export async function helpPhase(o: HelpPhaseOptions) {
  const ws = o.url.replace(/^http/, 'ws');
  const gap = o.probeGapMs ?? 200;
  const phaseMs = o.baselineMs ?? 8000;
  const learners = o.learners.map((l) => ({ ...l, term: new Probe(`${ws}/api/sessions/${l.session}/terminal?token=${encodeURIComponent(l.token)}`) }));
  const stream = watchHelpEvents(o.url, o.workshopId, o.key);
  const errors: string[] = [];
  let probing = true;
  const baseline: number[] = [];
  const during: number[] = [];
  let sink = baseline;
  try {
    await Promise.all(learners.map((l) => l.term.open()));
    // Every learner allows a take-over when asked (as a learner who raised a hand would).
    for (const l of learners) l.term.onEvent = (e) => e.type === 'takeover' && e.state === 'asked' && l.term.control({ type: 'takeover', action: 'allow' });
    const loops = learners.map(async (l) => {
      while (probing) {
        const before = l.term.echoes.length;
        await l.term.probe('x');
        if (l.term.echoes.length > before) sink.push(l.term.echoes.at(-1)!);
        await sleep(gap);
      }
    });
    await sleep(phaseMs);
    sink = during;
    // A third of the room raises a hand.
    const raisers = learners.slice(0, Math.max(1, Math.round(learners.length / 3)));
    const raised = new Map<string, number>();
    await Promise.all(
      raisers.map(async (l) => {
        const res = await fetch(`${o.url}/api/sessions/${l.session}/help`, {
          method: 'POST',
          headers: { authorization: `Bearer ${l.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ message: 'bench: help' }),
        });
        if (res.status !== 201) errors.push(`raise ${l.session}: ${res.status}`);
        else raised.set(l.session, performance.now());
        await res.arrayBuffer();
      }),
    );
    // The instructor takes over five terminals in turn.
    const askToActive: number[] = [];
    const instructorEcho: number[] = [];
    for (const l of raisers.concat(learners).slice(0, o.takeovers ?? 5)) {
      const sh = new Probe(`${ws}/api/workshops/${o.workshopId}/learners/${l.session}/terminal?token=${encodeURIComponent(o.key)}`);
      try {
        await sh.open();
        const t0 = performance.now();
        sh.control({ type: 'takeover', action: 'ask' });
        await sh.until(() => sh.events.some((e) => e.type === 'takeover' && e.state === 'active'), 30_000, 'take-over active');
        askToActive.push(performance.now() - t0);
        for (let i = 0; i < 10; i++) {
          await sh.probe('y');
          await sleep(gap);
        }
        instructorEcho.push(...sh.echoes);
        sh.control({ type: 'takeover', action: 'end' });
        await sh.until(() => sh.events.some((e) => e.type === 'takeover' && e.state === 'ended'), 10_000, 'take-over ended');
      } catch (err) {
        errors.push(`take-over ${l.session}: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        sh.close();
      }
    }
    await sleep(500);
    probing = false;
    await Promise.all(loops);
    const helpDelays = [...raised].flatMap(([s, t]) => (stream.seen.has(s) ? [Math.max(0, stream.seen.get(s)! - t)] : []));
    if (helpDelays.length < raised.size) errors.push(`${raised.size - helpDelays.length} raised hands never showed on the dashboard stream`);
    return {
      learners: learners.length,
      handsRaised: raised.size,
      takeovers: askToActive.length,
      echoMs: {
        baseline: { p50: pctMs(baseline, 50), p95: pctMs(baseline, 95), n: baseline.length },
        duringHelp: { p50: pctMs(during, 50), p95: pctMs(during, 95), n: during.length },
      },
      dashboardHelpEventMs: { p50: pctMs(helpDelays, 50), p95: pctMs(helpDelays, 95), n: helpDelays.length },
      askToActiveMs: { p50: pctMs(askToActive, 50), p95: pctMs(askToActive, 95) },
      instructorEchoMs: { p50: pctMs(instructorEcho, 50), p95: pctMs(instructorEcho, 95), n: instructorEcho.length },
      errors,
    };
  } finally {
    probing = false;
    for (const l of learners) l.term.close();
    await stream.stop();
  }
}
