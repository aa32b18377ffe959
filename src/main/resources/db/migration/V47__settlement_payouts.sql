-- Settlement payouts (issue 23): a merchant's payout destination on file pays its available
-- balance out once per settlement, through the payouts API (key "settlement:{stl_…}").
ALTER TABLE merchant_settlement_schedules ADD COLUMN payout_operator TEXT CHECK (payout_operator IN ('mpesa', 'mtn_momo'));
ALTER TABLE merchant_settlement_schedules ADD COLUMN payout_msisdn TEXT;
ALTER TABLE merchant_settlement_schedules ADD COLUMN payout_name TEXT;
ALTER TABLE merchant_settlement_schedules ADD CONSTRAINT merchant_settlement_schedules_destination_check
    CHECK ((payout_operator IS NULL) = (payout_msisdn IS NULL));
ALTER TABLE settlements ADD COLUMN payout_id TEXT REFERENCES payouts (id);
