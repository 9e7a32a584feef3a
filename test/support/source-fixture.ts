import type { Client } from 'pg';
import { sourceDdl } from '../../lambdas/kernel/schema/source-ddl';

/**
 * A tiny, complete totesys: the schema plus one or two rows in every table, with the
 * real data's quirks (text dates, numeric money, nullable address lines).
 */
export async function createTinySource(client: Client): Promise<void> {
  for (const statement of sourceDdl()) await client.query(statement);
  await client.query(`
    INSERT INTO address (address_line_1, address_line_2, district, city, postal_code, country, phone, created_at, last_updated)
      VALUES ('6826 Herzog Via', NULL, 'Avon', 'New Patienceburgh', '28441', 'Turkey', '1803 637401', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'),
             ('179 Alexie Cliffs', 'Rosalind Stream', NULL, 'Aliso Viejo', '99305-7380', 'San Marino', '9621 880720', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962');
    INSERT INTO counterparty (counterparty_legal_name, legal_address_id, commercial_contact, delivery_contact, created_at, last_updated)
      VALUES ('Fahey and Sons', 1, 'Micheal Toy', NULL, '2022-11-03 14:20:51.563', '2022-11-03 14:20:51.563');
    INSERT INTO currency (currency_code, created_at, last_updated) VALUES ('GBP', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962');
    INSERT INTO department (department_name, location, manager, created_at, last_updated)
      VALUES ('Sales', 'Manchester', 'Richard Roma', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962');
    INSERT INTO design (design_name, file_location, file_name, created_at, last_updated)
      VALUES ('Wooden', '/usr', 'wooden-20220717-npgz.json', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962');
    INSERT INTO payment_type (payment_type_name, created_at, last_updated) VALUES ('SALES_RECEIPT', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962');
    INSERT INTO staff (first_name, last_name, department_id, email_address, created_at, last_updated)
      VALUES ('Jeremie', 'Franey', 1, 'jeremie.franey@terrifictotes.com', '2022-11-03 14:20:51.563', '2022-11-03 14:20:51.563');
    INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id, units_sold, unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
      VALUES ('2022-11-03 14:20:52.186', '2022-11-03 14:20:52.186', 1, 1, 1, 42972, 3.94, 1, '2022-11-07', '2022-11-08', 2),
             ('2022-11-03 14:20:52.000', '2022-11-03 14:20:52.000', 1, 1, 1, 100, 0.10, 1, '2022-11-06', '2022-11-07', 1);
    INSERT INTO purchase_order (created_at, last_updated, staff_id, counterparty_id, item_code, item_quantity, item_unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
      VALUES ('2022-11-03 14:20:52.187', '2022-11-03 14:20:52.187', 1, 1, 'ZDOI5EA', 371, 361.39, 1, '2022-11-09', '2022-11-07', 2);
    INSERT INTO transaction (transaction_type, sales_order_id, purchase_order_id, created_at, last_updated)
      VALUES ('SALE', 1, NULL, '2022-11-03 14:20:52.186', '2022-11-03 14:20:52.186'),
             ('PURCHASE', NULL, 1, '2022-11-03 14:20:52.187', '2022-11-03 14:20:52.187'),
             ('SALE', 2, NULL, '2022-11-03 14:20:52.000', '2022-11-03 14:20:52.000');
    INSERT INTO payment (created_at, last_updated, transaction_id, counterparty_id, payment_amount, currency_id, payment_type_id, paid, payment_date, company_ac_number, counterparty_ac_number)
      VALUES ('2022-11-03 14:20:52.187', '2022-11-03 14:20:52.187', 1, 1, 552548.62, 1, 1, false, '2022-11-04', 67305075, 31622269);
  `);
}
