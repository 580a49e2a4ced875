// The SFTP source directory of one export date, from the pipeline's path template.
import { PermanentError } from '../../../../shared/errors';

const PLACEHOLDER = /\{([^{}]+)\}/g;

function dateFields(date: string): Record<string, string> {
  const [yyyy = '', MM = '', dd = ''] = date.split('-');
  return { yyyy, MM, dd, yyyyMMdd: `${yyyy}${MM}${dd}`, 'yyyy-MM-dd': date };
}

// Date placeholders win over params of the same name: the date is what makes each directory differ.
// An unknown placeholder is a fault in the pipeline definition, so retrying cannot help.
export function expandPathTemplate(template: string, date: string, params: Readonly<Record<string, string>>): string {
  const dates = dateFields(date);
  return template.replace(PLACEHOLDER, (_whole, name: string) => {
    // Own properties only: "{constructor}" must not find Object.prototype's.
    const value = Object.hasOwn(dates, name) ? dates[name] : Object.hasOwn(params, name) ? params[name] : undefined;
    if (value === undefined) {
      throw new PermanentError(`source path template "${template}" uses {${name}}, which is neither a date field nor in source.params`);
    }
    return value;
  });
}

// Joins a directory and a base name with exactly one '/'.
export function joinRemote(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}`;
}
