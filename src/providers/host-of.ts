/** The host name of a provider's `base_url`; undefined when it has none, or it does not parse. */
export const hostOf = (baseUrl: string | undefined): string | undefined => {
  try {
    return baseUrl === undefined ? undefined : new URL(baseUrl).hostname;
  } catch {
    return undefined;
  }
};
