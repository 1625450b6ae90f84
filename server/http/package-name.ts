/** A cheap check that a string can be an npm package name; Verdaccio does the full validation on its routes. */
const NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9._~-][a-z0-9._~-]*$/i;

export default function validateName(name: string): boolean {
  return name.length > 0 && name.length <= 214 && NAME.test(name) && !name.startsWith('.') && !name.startsWith('_');
}
