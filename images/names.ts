/** Image names on the host engine; the runner's defaults (runner/src/config.ts) use the same. */
export const IMAGES = {
  base: 'registry-lab/debian:trixie',
  registry: 'registry-lab/registry:2',
  busybox: 'registry-lab/busybox:latest',
  golang: 'registry-lab/golang:1.24',
  workstation: 'registry-lab/workstation:2',
  mirror: 'registry-lab/mirror:latest',
} as const;

/** What each is when Docker Hub answers. */
export const UPSTREAM = {
  base: 'debian:trixie-slim',
  registry: 'registry:2',
  busybox: 'busybox:latest',
  golang: 'golang:1.24',
} as const;

/** What the mirror serves to every sandbox, under Docker Hub's names. */
export const MIRROR_CONTENT: Array<{ image: string; as: string }> = [
  { image: IMAGES.base, as: 'library/debian:trixie-slim' },
  { image: IMAGES.busybox, as: 'library/busybox:latest' },
  { image: IMAGES.golang, as: 'library/golang:1.24' },
  { image: IMAGES.registry, as: 'library/registry:2' },
];

export const RECIPE_LABEL = 'registry-lab.recipe';
