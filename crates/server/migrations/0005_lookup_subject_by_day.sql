-- The subject index, day first: a look-up's subject key is random, so an index on the key alone
-- takes each batch's inserts all over the tree (every page rewritten into the WAL at each
-- commit); day first keeps a batch's inserts in the few pages of its own day. "Who looked this
-- person up?" seeks once per day instead (`day IN (SELECT day FROM lookup_days)`).
DROP INDEX lookups_subject;
CREATE INDEX lookups_subject_day ON lookups(day, subject_key);

-- The case registry read by case number with everything the rules need in the index itself:
-- judging a national day asks for ~750,000 cases, and fetching each row from the table (half
-- a gigabyte, in random order) cost more than the rules.
DROP INDEX lookup_cases_no;
CREATE INDEX lookup_cases_cover ON lookup_cases(case_no, subject_key, operator, opened, closed);
