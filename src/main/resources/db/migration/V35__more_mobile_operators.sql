-- Issue 22: Airtel Money, Orange Money, and Ghana's Telecel Cash and AirtelTigo Money (collected
-- through Paystack) join M-Pesa and MTN MoMo as payers' operators.
ALTER TABLE payments DROP CONSTRAINT payments_mobile_operator_check;
ALTER TABLE payments ADD CONSTRAINT payments_mobile_operator_check
    CHECK (mobile_operator IN ('mpesa', 'mtn_momo', 'airtel', 'orange', 'telecel', 'airteltigo'));
