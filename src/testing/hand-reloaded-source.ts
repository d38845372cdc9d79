import type { Config } from "../config/config-schema.ts";
import type { ConfigSource } from "../config/config-source.ts";
import type { ConfigWatchHandlers } from "../config/watch-config.ts";

/**
 * A config source with no file, which a test reloads by hand: `reload(config)` hands the gateway
 * `config` as a valid edit of its file would, and settles once the gateway has applied it.
 */
export function handReloadedSource(initial: Config): {
  source: ConfigSource;
  reload(config: Config): Promise<void>;
} {
  let handlers: ConfigWatchHandlers | undefined;
  return {
    source: {
      initial,
      path: null,
      watch: (given) => {
        handlers = given;
        return () => {};
      },
    },
    reload: async (config) => {
      if (!handlers) throw new Error("the gateway did not watch its config source");
      await handlers.onValid(config);
    },
  };
}
