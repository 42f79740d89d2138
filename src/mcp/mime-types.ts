/**
 * Which MIME types are text: binary content of these types (a resource's base64 `blob`) is read as
 * UTF-8 text by the model's context and by the CLI alike. Its own module so that the CLI can
 * tell without loading the MCP and model code.
 */

const TEXT_MIME_TYPES = /^(text\/.*|application\/(json|ld\+json|xml|yaml|x-yaml|toml|javascript|typescript|x-sh|sql|graphql|csv)|.*\+(json|xml))$/i;

/** Whether binary content of this type is text once decoded (UTF-8). */
export function isTextMimeType(mimeType: string | undefined): boolean {
  return mimeType !== undefined && TEXT_MIME_TYPES.test(mimeType.split(';', 1)[0].trim());
}
