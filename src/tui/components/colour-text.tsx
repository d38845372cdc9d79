import { Text, type TextProps } from "ink";

/**
 * Whether `NO_COLOR` asks for no colour (https://no-color.org: present and not empty, whatever its
 * value). Read once, when the view is loaded: ink colours through chalk, which never reads it
 * (chalk/supports-color#74, #105), and whose own off switch (FORCE_COLOR=0) drops every style, the
 * selected row's inverse too.
 */
const NO_COLOUR = Boolean(process.env.NO_COLOR);

/** ink's `Text`, its colour (`color`) left out when `NO_COLOR` asks; bold, dim and inverse stay. */
export function ColourText({ color, ...props }: TextProps) {
  return <Text {...props} {...(NO_COLOUR || color === undefined ? {} : { color })} />;
}
