import type { RowRandom } from '../prng';

/*
 * The words synthetic rows are made of: the real reference values (currencies, payment
 * types, departments) and fake names, places and files in the style of the real rows.
 * The change simulator draws from the same lists.
 */

/** The three currencies of totesys, in id order. */
export const CURRENCIES = ['GBP', 'USD', 'EUR'] as const;
/** The payment types of totesys, in id order (the enum's labels). */
export const PAYMENT_TYPES = [
  'SALES_RECEIPT',
  'SALES_REFUND',
  'PURCHASE_PAYMENT',
  'PURCHASE_REFUND',
] as const;
export const DEPARTMENTS = [
  'Sales',
  'Purchasing',
  'Production',
  'Dispatch',
  'Finance',
  'Facilities',
  'Communications',
  'HR',
];
export const OFFICES = ['Manchester', 'Leeds'];
export const DESIGN_NAMES = [
  'Steel',
  'Soft',
  'Granite',
  'Concrete',
  'Frozen',
  'Wooden',
  'Bronze',
  'Rubber',
  'Plastic',
  'Cotton',
  'Fresh',
  'Metal',
];
export const FILE_LOCATIONS = [
  '/net',
  '/usr/libexec',
  '/usr',
  '/etc',
  '/usr/ports',
  '/usr/share',
  '/etc/periodic',
  '/usr/local/src',
  '/opt/lib',
  '/selinux',
  '/home/user/dir',
  '/lost+found',
  '/private',
  '/System',
  '/Users',
  '/bin',
];
export const FIRST_NAMES = [
  'Jeremie',
  'Deron',
  'Jeanette',
  'Ana',
  'Magdalena',
  'Korey',
  'Raphael',
  'Oswaldo',
  'Brody',
  'Jazmyn',
  'Meda',
  'Imani',
  'Stan',
  'Rick',
  'Flavio',
  'Laurel',
  'Tyrel',
  'Marcus',
  'Irving',
  'Mariela',
];
export const LAST_NAMES = [
  'Franey',
  'Beier',
  'Erdman',
  'Glover',
  'Zieme',
  'Kreiger',
  'Rippin',
  'Bergnaum',
  'Ratke',
  'Kuhn',
  'Cremin',
  'Kuvalis',
  'Lehner',
  'Hackett',
  'Kunze',
  'Fahey',
  'Leannon',
  'Predovic',
  'Morar',
  'Armstrong',
  'Kohler',
  'Frami',
  'Yundt',
  'Padberg',
  'Herzog',
];
export const STREET_KINDS = [
  'Via',
  'Cliffs',
  'Fort',
  'Street',
  'Road',
  'Lane',
  'Gardens',
  'Mews',
  'Avenue',
  'Court',
];
export const DISTRICTS = [
  'Avon',
  'Bedfordshire',
  'Buckinghamshire',
  'Cambridgeshire',
  'Cheshire',
  'Kent',
  'Surrey',
];
export const CITIES = [
  'New Patienceburgh',
  'Aliso Viejo',
  'Lake Charles',
  'Olsonside',
  'Fort Shadburgh',
  'Kendraburgh',
  'North Dausside',
  'Suffolk',
  'East Bobbie',
  'Pricetown',
];
export const COUNTRIES = [
  'Turkey',
  'San Marino',
  'Samoa',
  'Republic of Korea',
  'Bosnia and Herzegovina',
  'Zimbabwe',
  'Faroe Islands',
  'United Kingdom',
  'Austria',
  'Chile',
];

export const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `length` characters drawn from `alphabet`. */
export function token(r: RowRandom, length: number, alphabet: string): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet.charAt(r.int(0, alphabet.length - 1));
  return out;
}

/** A company name in the five styles of the real counterparties. */
export function companyName(r: RowRandom): string {
  const a = r.pick(LAST_NAMES);
  const b = r.pick(LAST_NAMES);
  switch (r.int(0, 4)) {
    case 0:
      return `${a} and Sons`;
    case 1:
      return `${a} Inc`;
    case 2:
      return `${a} LLC`;
    case 3:
      return `${a} - ${b}`;
    default:
      return `${a}, ${b} and ${r.pick(LAST_NAMES)}`;
  }
}

/** A phone number like the real ones: `0123 456789`. */
export function phoneNumber(r: RowRandom): string {
  return `${String(r.int(0, 9999)).padStart(4, '0')} ${String(r.int(0, 999_999)).padStart(6, '0')}`;
}
