/** The markers ("m" events) of an asciicast v2 recording: the checks the runner wrote into a learner's terminal recording. */
export interface CastMarker {
  time: number;
  label: string;
}

/** The "m" events of an asciicast v2 text, in order. */
export function castMarkers(text: string): CastMarker[] {
  const out: CastMarker[] = [];
  for (const line of text.split('\n').slice(1)) {
    if (!line.includes('"m"')) continue;
    try {
      const e = JSON.parse(line) as [number, string, string];
      if (e[1] === 'm') out.push({ time: e[0], label: String(e[2]) });
    } catch {
      /* a torn last line */
    }
  }
  return out;
}
