/**
 * The instructor's side of the runner's Workshops API ("Workshops" in API.md, the runner's public API
 * contract shared with clients, and docs/api-extensions.md). Every call carries the key as a Bearer header; only EventSource
 * (which cannot set headers) and the shadow WebSocket put it in `?token=`.
 */
import { api, ApiError, LAB_START_TIMEOUT_MS, RunnerUnavailableError } from './session.ts';
import type { LabInfo, LearnerRow } from './workshop-grid.ts';

export interface Workshop {
  id: string;
  code: string;
  title: string;
  state?: 'open' | 'ended';
  learners?: number;
  seats: number;
  createdAt?: string;
  endsAt?: string | null;
  labs?: string[];
  reserve?: number;
  ready?: number;
}
export interface CreatedWorkshop extends Workshop {
  instructorKey: string;
  joinUrl: string;
  dashboardUrl: string;
}
export interface CreateInput {
  title: string;
  labs?: string[];
  seats?: number;
  reserve?: number;
  endsAt?: string;
}

const w = (id: string) => `/api/workshops/${encodeURIComponent(id)}`;

export const listWorkshops = (token: string) => api<Workshop[]>('/api/workshops', { token });
export const createWorkshop = (token: string, input: CreateInput) =>
  api<CreatedWorkshop>('/api/workshops', { method: 'POST', token, body: JSON.stringify(input) });
export const getWorkshop = (token: string, id: string) => api<Workshop>(w(id), { token });
export const getProgress = (token: string, id: string) =>
  api<{ workshop: Workshop; learners: LearnerRow[] }>(`${w(id)}/progress`, { token });
/** The labs with their titles in `lang` (the runner's default, Russian, when absent). */
export const getLabs = (lang?: 'en') => api<LabInfo[]>(lang ? `/api/labs?lang=${lang}` : '/api/labs');
export const broadcast = (token: string, id: string, message: string, closeHands = false) =>
  api<unknown>(`${w(id)}/broadcast`, { method: 'POST', token, body: JSON.stringify(closeHands ? { message, closeHands } : { message }) });
export const extendAll = (token: string, id: string) =>
  api<{ extended: number }>(`${w(id)}/extend`, { method: 'POST', token, body: JSON.stringify({}) });
export const endWorkshop = (token: string, id: string) => api<void>(w(id), { method: 'DELETE', token });
export const resetLearnerLab = (token: string, id: string, session: string, lab: string) =>
  api<{ lab: string; ready: boolean }>(
    `${w(id)}/learners/${encodeURIComponent(session)}/labs/${encodeURIComponent(lab)}/start`,
    { method: 'POST', token, body: JSON.stringify({}), timeoutMs: LAB_START_TIMEOUT_MS },
  );

export function eventsUrl(id: string, token: string): string {
  return `${w(id)}/events?token=${encodeURIComponent(token)}`;
}
export function shadowUrl(id: string, session: string, token: string): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}${w(id)}/learners/${encodeURIComponent(session)}/terminal?token=${encodeURIComponent(token)}`;
}

/** Downloads results with the key in a header (never in the URL) and saves them as a file. */
export async function downloadResults(token: string, id: string, ext: 'csv' | 'json', filename: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`${w(id)}/results.${ext}`, { headers: { authorization: `Bearer ${token}` } });
  } catch (e) {
    throw new RunnerUnavailableError((e as Error).message);
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as any;
    throw new ApiError(res.status, body?.error?.code ?? 'error', body?.error?.message ?? `HTTP ${res.status}`);
  }
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/* ---------- help in the room (issue 23) ---------- */

export interface HelpRequestView {
  id: string;
  session: string;
  name: string;
  message: string;
  lab: string | null;
  failing: { id: string; title: string }[];
  raisedAt: string;
  closedAt: string | null;
  closedBy: string | null;
  waitingMs: number;
  reply: { message: string; at: string } | null;
}
export interface RecordingInfo {
  id: string;
  session: string;
  bytes: number;
  startedAt: string;
}
const learner = (id: string, session: string) => `${w(id)}/learners/${encodeURIComponent(session)}`;
export const getHelpQueue = (token: string, id: string) => api<HelpRequestView[]>(`${w(id)}/help`, { token });
export const replyHelp = (token: string, id: string, session: string, message: string) =>
  api<HelpRequestView>(`${learner(id, session)}/help/reply`, { method: 'POST', token, body: JSON.stringify({ message }) });
export const markHelped = (token: string, id: string, session: string) => api<HelpRequestView>(`${learner(id, session)}/help/helped`, { method: 'POST', token });
export const listRecordings = (token: string, id: string, session: string) => api<RecordingInfo[]>(`${learner(id, session)}/recordings`, { token });
/** The asciicast text of one recording (sent with the key in a header, never in a URL). */
export async function fetchRecording(token: string, id: string, session: string, recording: string): Promise<string> {
  const res = await fetch(`${learner(id, session)}/recordings/${encodeURIComponent(recording)}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.text();
}
