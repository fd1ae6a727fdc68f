/**
 * What a process holds, released in the reverse order it was taken (last in, first out): a
 * listener before the queues it feeds, the queues before their Redis connection. Each start-up
 * step registers its own release right after it succeeds, so a failure half-way releases exactly
 * what was started, and shutdown needs no hand-ordered list.
 */
export interface Release {
  name: string;
  run: () => Promise<void> | void;
}

export class ResourceStack {
  private readonly releases: Release[] = [];
  private closing: Promise<void> | undefined;

  /** Registers the release of something just started. */
  defer(name: string, run: () => Promise<void> | void): void {
    this.releases.push({ name, run });
  }

  /** The releases, last registered first, without running them. */
  list(): Release[] {
    return [...this.releases].reverse();
  }

  /**
   * Runs every release, last registered first; one that fails is reported and the rest still
   * run. Calling it again returns the first call's promise.
   */
  close(onError: (name: string, err: unknown) => void = () => undefined): Promise<void> {
    this.closing ??= (async () => {
      for (const release of this.list()) {
        try {
          await release.run();
        } catch (err) {
          onError(release.name, err);
        }
      }
      this.releases.length = 0;
    })();
    return this.closing;
  }
}
