"""What a valid card is, and scan -> eligibility -> redemption -> void."""
