/**
 * The dashboard's event stream. Events that arrive before the page has caught up (fetched
 * /progress after each (re)connection) wait in a buffer and are applied after it, in order.
 * While the runner is away the browser retries by itself; a stream the browser gave up on
 * (a non-stream answer) or a catch-up that failed gets a new stream after 2 s doubling to 15 s.
 */
export type StreamState = 'connecting' | 'live' | 'reconnecting';

export interface StreamOptions {
  url: string;
  events: string[];
  catchUp: () => Promise<void>;
  onEvent: (ev: MessageEvent) => void;
  onState: (state: StreamState) => void;
}

/** The wait before try `attempt` + 1 to reach the runner again: 2 s doubling to 15 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(2000 * 2 ** attempt, 15_000);
}

export function openStream(o: StreamOptions): { close(): void } {
  let source: EventSource | null = null;
  let buffer: MessageEvent[] | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let closed = false;

  const retry = () => {
    source?.close();
    clearTimeout(timer);
    if (!closed) timer = setTimeout(connect, retryDelayMs(attempt++));
  };

  function connect() {
    source?.close();
    clearTimeout(timer);
    buffer = [];
    const es = new EventSource(o.url);
    source = es;
    const onEvent = (ev: Event) => (buffer ? buffer.push(ev as MessageEvent) : o.onEvent(ev as MessageEvent));
    for (const name of o.events) es.addEventListener(name, onEvent);
    es.onopen = async () => {
      buffer ??= [];
      try {
        await o.catchUp();
      } catch {
        if (source === es) retry();
        return;
      }
      if (source !== es) return;
      attempt = 0;
      o.onState('live');
      const pending = buffer ?? [];
      buffer = null;
      pending.forEach(o.onEvent);
    };
    es.onerror = () => {
      if (source !== es) return;
      o.onState('reconnecting');
      buffer = [];
      if (es.readyState === EventSource.CLOSED) retry();
      else {
        clearTimeout(timer);
        timer = setTimeout(() => {
          if (source === es && es.readyState !== EventSource.OPEN) retry();
        }, 10_000);
      }
    };
  }

  connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      source?.close();
    },
  };
}
