// Package number turns what a caller dialled into an E.164 number (ITU-T
// E.164: country code + national significant number, at most 15 digits)
// and writes it back in the format a carrier's trunk wants.
//
// Routing keys on E.164 digits without the '+', so "+86 138-0013-8000",
// "008613800138000", "13800138000" and "tel:+8613800138000" all become
// "8613800138000". National input is read with China's numbering plan
// (MIIT 电信网编号计划): trunk prefix 0, 2- and 3-digit area codes,
// 11-digit mobiles beginning 13–19, and 10-digit 400/800 service numbers.
// Short codes (110, 10086, 95xxx …) are rejected: they have no E.164 form
// and their routing depends on the caller's area.
package number
